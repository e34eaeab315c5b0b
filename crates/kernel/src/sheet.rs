//! Table files for downloads: CSV that Excel opens with Chinese intact, and XLSX workbooks written
//! by hand, both streamed row by row so a payroll of a million lines never sits in memory.
//!
//! The XLSX writer deflates each sheet's XML straight into the zip as rows arrive; every zip entry
//! is followed by a data descriptor (general-purpose flag bit 3) carrying its CRC and sizes, so the
//! output needs only `Write` (a file, a socket, an HTTP body). A sheet holds at most
//! [`EXCEL_MAX_ROWS`] rows including its header: beyond that the writer starts a new sheet repeating
//! the header, and the parts are named `明细1`, `明细2`, ... Zip64 is not written: an entry or the
//! whole file reaching 4 GiB is refused with an error rather than written corrupt.

use crate::money::Fen;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::io::{self, Write};

/// The rows an Excel worksheet holds (2^20), header included.
pub const EXCEL_MAX_ROWS: usize = 1_048_576;

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// Text, written as text (an ID number stays text, never a number).
    Text(&'a str),
    /// A whole number.
    Int(i64),
    /// An amount, written as yuan with two decimals (a number in XLSX).
    Money(Fen),
    /// Nothing.
    Empty,
}

// ---------------------------------------------------------------- CSV

/// A CSV writer: UTF-8 with a byte-order mark (so Excel reads Chinese correctly), CRLF line ends,
/// fields quoted per RFC 4180 when they contain a comma, a quote or a line break.
///
/// Text starting with `=`, `+`, `-` or `@` gets a leading `'` so a spreadsheet does not run it
/// as a formula (CSV injection); numbers are written as they are.
pub struct CsvWriter<W: Write> {
    out: W,
    columns: usize,
    rows: u64,
    line: String,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the file: the byte-order mark and the header row.
    pub fn new(mut out: W, headers: &[&str]) -> io::Result<Self> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut w = CsvWriter {
            out,
            columns: headers.len(),
            rows: 0,
            line: String::new(),
        };
        let cells: Vec<Cell<'_>> = headers.iter().map(|h| Cell::Text(h)).collect();
        w.write_line(&cells)?;
        Ok(w)
    }

    /// Writes one data row; it must have as many cells as the header.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> io::Result<()> {
        check_width(self.columns, cells.len())?;
        self.write_line(cells)?;
        self.rows += 1;
        Ok(())
    }

    fn write_line(&mut self, cells: &[Cell<'_>]) -> io::Result<()> {
        self.line.clear();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            match c {
                Cell::Text(t) => push_csv_text(&mut self.line, t),
                Cell::Int(n) => self.line.push_str(&n.to_string()),
                Cell::Money(f) => self.line.push_str(&f.yuan_string()),
                Cell::Empty => {}
            }
        }
        self.line.push_str("\r\n");
        self.out.write_all(self.line.as_bytes())
    }

    /// Data rows written so far (the header not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and hands the output back.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn push_csv_text(line: &mut String, t: &str) {
    let guard = t.starts_with(['=', '+', '-', '@']);
    let quote = t.contains([',', '"', '\r', '\n']);
    if quote {
        line.push('"');
    }
    if guard {
        line.push('\'');
    }
    for ch in t.chars() {
        if ch == '"' {
            line.push('"');
        }
        line.push(ch);
    }
    if quote {
        line.push('"');
    }
}

fn check_width(expected: usize, got: usize) -> io::Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("表格一行应有 {expected} 列，实际 {got} 列"),
        ))
    }
}

// ---------------------------------------------------------------- XLSX

/// A zip entry already written, for the central directory.
struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

/// The zip entry being written: its XML is deflated into `deflate`'s buffer, which is moved to the
/// output whenever it grows past a few dozen kilobytes.
struct Open {
    name: String,
    offset: u64,
    deflate: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
    compressed: u64,
}

/// A logical sheet as the caller named it, possibly split into several parts.
struct Logical {
    name: String,
    headers: Vec<String>,
    /// Indices (1-based, `sheetN.xml`) of its parts.
    parts: Vec<usize>,
}

/// Output that counts the bytes it has passed on (zip offsets).
struct Counting<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.written += bytes.len() as u64;
        if self.written >= ZIP32_LIMIT {
            return Err(too_big());
        }
        Ok(())
    }
}

/// Sizes and offsets must stay below this (0xFFFFFFFF means "see Zip64", which is not written).
const ZIP32_LIMIT: u64 = 0xFFFF_FFFF;
/// Compressed bytes kept before they are passed to the output.
const FLUSH_AT: usize = 64 * 1024;

fn too_big() -> io::Error {
    io::Error::other("导出文件超过 4 GiB，请缩小范围后分批导出")
}

/// An XLSX workbook written row by row. Create it with the first sheet, add rows, optionally
/// [`XlsxWriter::sheet`] to start another (a summary), then [`XlsxWriter::finish`].
pub struct XlsxWriter<W: Write> {
    out: Counting<W>,
    entries: Vec<Entry>,
    sheets: Vec<Logical>,
    open: Option<Open>,
    max_rows: usize,
    /// Rows in the open part, header included.
    rows_in_part: usize,
    parts: usize,
    xml: String,
}

impl<W: Write> XlsxWriter<W> {
    /// A workbook whose first sheet is `name` with `headers`, at Excel's row limit.
    pub fn new(out: W, name: &str, headers: &[&str]) -> io::Result<Self> {
        Self::with_max_rows(out, name, headers, EXCEL_MAX_ROWS)
    }

    /// Same, with a smaller row limit per sheet (header included; tests use a tiny one).
    pub fn with_max_rows(
        out: W,
        name: &str,
        headers: &[&str],
        max_rows: usize,
    ) -> io::Result<Self> {
        if !(2..=EXCEL_MAX_ROWS).contains(&max_rows) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("每个工作表的行数上限应在 2 到 {EXCEL_MAX_ROWS} 之间"),
            ));
        }
        let mut w = XlsxWriter {
            out: Counting {
                inner: out,
                written: 0,
            },
            entries: Vec::new(),
            sheets: Vec::new(),
            open: None,
            max_rows,
            rows_in_part: 0,
            parts: 0,
            xml: String::new(),
        };
        w.sheet(name, headers)?;
        Ok(w)
    }

    /// Ends the current sheet and starts a new one named `name` (at most 28 characters, leaving room
    /// for a part number within Excel's 31, none of
    /// `[]:*?/\`) with `headers`.
    pub fn sheet(&mut self, name: &str, headers: &[&str]) -> io::Result<()> {
        let bad = name.is_empty()
            || name.chars().count() > 28
            || name.contains(['[', ']', ':', '*', '?', '/', '\\']);
        if bad || self.sheets.iter().any(|s| s.name == name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("工作表名“{name}”无效或重复"),
            ));
        }
        if headers.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "工作表至少要有一列",
            ));
        }
        self.close_part()?;
        self.sheets.push(Logical {
            name: name.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            parts: Vec::new(),
        });
        self.open_part()
    }

    /// Writes one data row to the current sheet, starting a new part when it is full.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> io::Result<()> {
        let columns = self.sheets.last().map(|s| s.headers.len()).unwrap_or(0);
        check_width(columns, cells.len())?;
        if self.rows_in_part >= self.max_rows {
            self.close_part()?;
            self.open_part()?;
        }
        self.rows_in_part += 1;
        let mut xml = std::mem::take(&mut self.xml);
        xml.clear();
        row_xml(&mut xml, self.rows_in_part, cells);
        let written = self.put(xml.as_bytes());
        self.xml = xml;
        written
    }

    /// Writes the workbook parts and the zip directory; hands the output back.
    pub fn finish(mut self) -> io::Result<W> {
        self.close_part()?;
        let mut names = Vec::new();
        for s in &self.sheets {
            for (k, part) in s.parts.iter().enumerate() {
                let name = if s.parts.len() == 1 {
                    s.name.clone()
                } else {
                    format!("{}{}", s.name, k + 1)
                };
                names.push((*part, name));
            }
        }
        let mut types = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
        );
        let mut workbook = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#,
        );
        for (part, name) in &names {
            types.push_str(&format!(
                r#"<Override PartName="/xl/worksheets/sheet{part}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
            ));
            workbook.push_str(r#"<sheet name=""#);
            escape_into(&mut workbook, name);
            workbook.push_str(&format!(r#"" sheetId="{part}" r:id="rId{part}"/>"#));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{part}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{part}.xml"/>"#
            ));
        }
        types.push_str("</Types>");
        workbook.push_str("</sheets></workbook>");
        rels.push_str("</Relationships>");
        let root = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
        for (name, body) in [
            ("[Content_Types].xml", types.as_str()),
            ("_rels/.rels", root),
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", rels.as_str()),
            ("xl/styles.xml", STYLES),
        ] {
            self.begin(name)?;
            self.put(body.as_bytes())?;
            self.end()?;
        }
        self.directory()?;
        self.out.inner.flush()?;
        Ok(self.out.inner)
    }

    fn open_part(&mut self) -> io::Result<()> {
        self.parts += 1;
        let part = self.parts;
        let headers = match self.sheets.last_mut() {
            Some(s) => {
                s.parts.push(part);
                s.headers.clone()
            }
            None => return Ok(()),
        };
        self.begin(&format!("xl/worksheets/sheet{part}.xml"))?;
        // The header row stays in view while scrolling.
        self.put(
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>"#,
        )?;
        let cells: Vec<Cell<'_>> = headers.iter().map(|h| Cell::Text(h)).collect();
        let mut xml = String::new();
        row_xml(&mut xml, 1, &cells);
        self.put(xml.as_bytes())?;
        self.rows_in_part = 1;
        Ok(())
    }

    fn close_part(&mut self) -> io::Result<()> {
        if self.open.is_some() {
            self.put(b"</sheetData></worksheet>")?;
            self.end()?;
        }
        Ok(())
    }

    fn begin(&mut self, name: &str) -> io::Result<()> {
        let offset = self.out.written;
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0 (deflate)
        h.extend_from_slice(&FLAGS.to_le_bytes());
        h.extend_from_slice(&8u16.to_le_bytes()); // deflated
        h.extend_from_slice(&DOS_TIME.to_le_bytes());
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&[0; 12]); // crc and sizes: in the data descriptor
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        self.out.put(&h)?;
        self.open = Some(Open {
            name: name.to_owned(),
            offset,
            deflate: DeflateEncoder::new(Vec::with_capacity(FLUSH_AT * 2), Compression::fast()),
            crc: crc32fast::Hasher::new(),
            size: 0,
            compressed: 0,
        });
        Ok(())
    }

    /// Adds uncompressed bytes to the open entry.
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Some(open) = self.open.as_mut() else {
            return Err(io::Error::other("没有打开的表格部件"));
        };
        open.crc.update(bytes);
        open.size += bytes.len() as u64;
        if open.size >= ZIP32_LIMIT {
            return Err(too_big());
        }
        open.deflate.write_all(bytes)?;
        if open.deflate.get_ref().len() >= FLUSH_AT {
            let buf = open.deflate.get_mut();
            open.compressed += buf.len() as u64;
            self.out.put(buf)?;
            buf.clear();
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let Open {
            name,
            offset,
            deflate,
            crc,
            size,
            mut compressed,
        } = open;
        let rest = deflate.finish()?;
        compressed += rest.len() as u64;
        self.out.put(&rest)?;
        let crc = crc.finalize();
        let mut d = Vec::with_capacity(16);
        d.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        d.extend_from_slice(&crc.to_le_bytes());
        d.extend_from_slice(&(compressed as u32).to_le_bytes());
        d.extend_from_slice(&(size as u32).to_le_bytes());
        self.out.put(&d)?;
        self.entries.push(Entry {
            name,
            crc,
            compressed,
            size,
            offset,
        });
        Ok(())
    }

    fn directory(&mut self) -> io::Result<()> {
        let start = self.out.written;
        let mut d = Vec::new();
        for e in &self.entries {
            d.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            d.extend_from_slice(&20u16.to_le_bytes()); // made by
            d.extend_from_slice(&20u16.to_le_bytes()); // needed
            d.extend_from_slice(&FLAGS.to_le_bytes());
            d.extend_from_slice(&8u16.to_le_bytes());
            d.extend_from_slice(&DOS_TIME.to_le_bytes());
            d.extend_from_slice(&DOS_DATE.to_le_bytes());
            d.extend_from_slice(&e.crc.to_le_bytes());
            d.extend_from_slice(&(e.compressed as u32).to_le_bytes());
            d.extend_from_slice(&(e.size as u32).to_le_bytes());
            d.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            d.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
            d.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            d.extend_from_slice(&(e.offset as u32).to_le_bytes());
            d.extend_from_slice(e.name.as_bytes());
        }
        if self.entries.len() >= 0xFFFF {
            return Err(too_big());
        }
        let count = self.entries.len() as u16;
        let size = d.len() as u32;
        self.out.put(&d)?;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]); // disk numbers
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&size.to_le_bytes());
        end.extend_from_slice(&(start as u32).to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.out.put(&end)
    }
}

/// Fonts, fills and borders Excel requires, and the three cell formats used: plain, amounts with two
/// decimals (built-in format 2, `0.00`), bold header.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// Sizes follow each entry in a data descriptor.
const FLAGS: u16 = 0x0008;
/// 1980-01-01 00:00, the zip epoch: the same workbook gives the same bytes.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
fn column_name(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Cell styles of `xl/styles.xml`: 1 is two decimals (amounts), 2 is bold (the header row).
const STYLE_MONEY: u8 = 1;
const STYLE_HEADER: u8 = 2;

fn row_xml(xml: &mut String, row: usize, cells: &[Cell<'_>]) {
    xml.push_str(&format!(r#"<row r="{row}">"#));
    for (i, c) in cells.iter().enumerate() {
        let r = format!("{}{row}", column_name(i));
        match c {
            Cell::Text(t) => {
                let style = if row == 1 {
                    format!(r#" s="{STYLE_HEADER}""#)
                } else {
                    String::new()
                };
                xml.push_str(&format!(r#"<c r="{r}"{style} t="inlineStr"><is><t"#));
                if t.starts_with(char::is_whitespace) || t.ends_with(char::is_whitespace) {
                    xml.push_str(r#" xml:space="preserve""#);
                }
                xml.push('>');
                escape_into(xml, t);
                xml.push_str("</t></is></c>");
            }
            Cell::Int(n) => xml.push_str(&format!(r#"<c r="{r}"><v>{n}</v></c>"#)),
            Cell::Money(f) => xml.push_str(&format!(
                r#"<c r="{r}" s="{STYLE_MONEY}"><v>{}</v></c>"#,
                f.yuan_string()
            )),
            Cell::Empty => {}
        }
    }
    xml.push_str("</row>");
}

/// XML text: `& < > "` escaped, characters XML 1.0 cannot carry dropped.
fn escape_into(xml: &mut String, t: &str) {
    for ch in t.chars() {
        match ch {
            '&' => xml.push_str("&amp;"),
            '<' => xml.push_str("&lt;"),
            '>' => xml.push_str("&gt;"),
            '"' => xml.push_str("&quot;"),
            '\t' | '\n' | '\r' => xml.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => xml.push(c),
        }
    }
}

// ---------------------------------------------------------------- reading back

/// The entries of a zip as `(name, contents)`, inflated and CRC-checked: enough to read back what
/// [`XlsxWriter`] writes (stored or deflated entries, no Zip64), for tests and checks of exports.
pub fn unzip(bytes: &[u8]) -> io::Result<Vec<(String, Vec<u8>)>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("zip 无效：{what}"));
    let u16_at = |i: usize| -> io::Result<usize> {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
            .ok_or_else(|| bad("越界"))
    };
    let u32_at = |i: usize| -> io::Result<u32> {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| bad("越界"))
    };
    if bytes.len() < 22 {
        return Err(bad("太短"));
    }
    let end = (0..=bytes.len() - 22)
        .rev()
        .find(|&i| bytes[i..i + 4] == 0x0605_4b50u32.to_le_bytes())
        .ok_or_else(|| bad("没有目录结束记录"))?;
    let count = u16_at(end + 10)?;
    let mut at = u32_at(end + 16)? as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(at)? != 0x0201_4b50 {
            return Err(bad("目录记录签名"));
        }
        let method = u16_at(at + 10)?;
        let crc = u32_at(at + 16)?;
        let compressed = u32_at(at + 20)? as usize;
        let size = u32_at(at + 24)? as usize;
        let (n, x, c) = (u16_at(at + 28)?, u16_at(at + 30)?, u16_at(at + 32)?);
        let offset = u32_at(at + 42)? as usize;
        let name = String::from_utf8(
            bytes
                .get(at + 46..at + 46 + n)
                .ok_or_else(|| bad("越界"))?
                .to_vec(),
        )
        .map_err(|_| bad("文件名不是 UTF-8"))?;
        at += 46 + n + x + c;
        if u32_at(offset)? != 0x0403_4b50 {
            return Err(bad("本地记录签名"));
        }
        let data = offset + 30 + u16_at(offset + 26)? + u16_at(offset + 28)?;
        let raw = bytes
            .get(data..data + compressed)
            .ok_or_else(|| bad("越界"))?;
        let contents = match method {
            0 => raw.to_vec(),
            8 => {
                let mut v = Vec::with_capacity(size);
                io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(raw), &mut v)?;
                v
            }
            _ => return Err(bad("不支持的压缩方法")),
        };
        if contents.len() != size || crc32fast::hash(&contents) != crc {
            return Err(bad(&format!("{name} 的长度或校验和不符")));
        }
        out.push((name, contents));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a str {
        let (_, b) = files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn a_tiny_workbook_reads_back_with_chinese_and_escapes() {
        let mut w = XlsxWriter::new(Vec::new(), "明细", &["姓名", "金额(元)", "说明"]).unwrap();
        w.row(&[
            Cell::Text("张三"),
            Cell::Money(Fen(123_456)),
            Cell::Text("A&B <c> \"d\""),
        ])
        .unwrap();
        w.row(&[Cell::Text(" 前后空格 "), Cell::Int(-7), Cell::Empty])
            .unwrap();
        w.sheet("汇总", &["笔数"]).unwrap();
        w.row(&[Cell::Int(2)]).unwrap();
        let bytes = w.finish().unwrap();
        // The end record closes the file; 2 sheets and the 5 workbook parts.
        assert_eq!(&bytes[bytes.len() - 22..bytes.len() - 18], b"PK\x05\x06");
        let files = unzip(&bytes).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "xl/worksheets/sheet1.xml",
                "xl/worksheets/sheet2.xml",
                "[Content_Types].xml",
                "_rels/.rels",
                "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml"
            ]
        );
        let s1 = entry(&files, "xl/worksheets/sheet1.xml");
        assert!(
            s1.contains(r#"<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>姓名</t></is></c>"#)
        );
        assert!(s1.contains(
            r#"<c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2" s="1"><v>1234.56</v></c>"#
        ));
        assert!(s1.contains("<t>A&amp;B &lt;c&gt; &quot;d&quot;</t>"));
        assert!(s1.contains(r#"<t xml:space="preserve"> 前后空格 </t>"#));
        assert!(s1.contains(r#"<c r="B3"><v>-7</v></c></row>"#));
        assert_eq!(s1.matches("<row ").count(), 3);
        let s2 = entry(&files, "xl/worksheets/sheet2.xml");
        assert!(s2.contains(r#"<c r="A2"><v>2</v></c>"#));
        let wb = entry(&files, "xl/workbook.xml");
        assert!(wb.contains(r#"<sheet name="明细" sheetId="1" r:id="rId1"/>"#));
        assert!(wb.contains(r#"<sheet name="汇总" sheetId="2" r:id="rId2"/>"#));
        assert!(entry(&files, "[Content_Types].xml").contains("/xl/worksheets/sheet2.xml"));
        assert!(entry(&files, "xl/_rels/workbook.xml.rels").contains("worksheets/sheet2.xml"));
        // Same rows, same bytes.
        let mut again = XlsxWriter::new(Vec::new(), "明细", &["姓名"]).unwrap();
        again.row(&[Cell::Text("x")]).unwrap();
        let mut third = XlsxWriter::new(Vec::new(), "明细", &["姓名"]).unwrap();
        third.row(&[Cell::Text("x")]).unwrap();
        assert_eq!(again.finish().unwrap(), third.finish().unwrap());
    }

    #[test]
    fn a_full_sheet_continues_on_a_new_one_with_the_header_repeated() {
        let mut w = XlsxWriter::with_max_rows(Vec::new(), "明细", &["序号", "名"], 3).unwrap();
        for i in 1..=5 {
            w.row(&[Cell::Int(i), Cell::Text("甲")]).unwrap();
        }
        let files = unzip(&w.finish().unwrap()).unwrap();
        let s1 = entry(&files, "xl/worksheets/sheet1.xml");
        let s2 = entry(&files, "xl/worksheets/sheet2.xml");
        let s3 = entry(&files, "xl/worksheets/sheet3.xml");
        // 3 rows each including the header: 2 + 2 + 1 data rows.
        assert_eq!(s1.matches("<row ").count(), 3);
        assert_eq!(s2.matches("<row ").count(), 3);
        assert_eq!(s3.matches("<row ").count(), 2);
        for s in [s1, s2, s3] {
            assert!(
                s.contains(r#"<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>序号</t></is></c>"#)
            );
        }
        assert!(s2.contains(r#"<row r="2"><c r="A2"><v>3</v></c>"#));
        assert!(s3.contains(r#"<row r="2"><c r="A2"><v>5</v></c>"#));
        let wb = entry(&files, "xl/workbook.xml");
        assert!(wb.contains(r#"name="明细1""#) && wb.contains(r#"name="明细3""#));
        // The limit is a real limit: a tiny one is refused, a wrong row width too.
        assert!(XlsxWriter::with_max_rows(Vec::new(), "明细", &["a"], 1).is_err());
        let mut w = XlsxWriter::new(Vec::new(), "明细", &["a", "b"]).unwrap();
        assert!(w.row(&[Cell::Int(1)]).is_err());
    }

    #[test]
    fn many_rows_stream_out_in_bounded_memory_and_read_back() {
        let mut w = XlsxWriter::new(Vec::new(), "明细", &["序号", "说明"]).unwrap();
        for i in 0..20_000 {
            w.row(&[Cell::Int(i), Cell::Text("低保：3 人 × 620 元 − 900 元收入")])
                .unwrap();
            // The compressed buffer never holds more than one flush.
            let open = w.open.as_ref().unwrap();
            assert!(open.deflate.get_ref().len() < FLUSH_AT + 4096);
        }
        let files = unzip(&w.finish().unwrap()).unwrap();
        assert_eq!(
            entry(&files, "xl/worksheets/sheet1.xml")
                .matches("<row ")
                .count(),
            20_001
        );
    }

    #[test]
    fn csv_has_a_bom_crlf_and_rfc4180_quoting() {
        let mut w = CsvWriter::new(Vec::new(), &["项目", "金额(元)", "说明"]).unwrap();
        w.row(&[
            Cell::Text("城市低保"),
            Cell::Money(Fen(-5)),
            Cell::Text("含,逗号与\"引号\"\n换行"),
        ])
        .unwrap();
        w.row(&[Cell::Text("=1+1"), Cell::Int(3), Cell::Empty])
            .unwrap();
        assert_eq!(w.rows(), 2);
        assert!(w.row(&[Cell::Empty]).is_err());
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}项目,金额(元),说明\r\n城市低保,-0.05,\"含,逗号与\"\"引号\"\"\n换行\"\r\n'=1+1,3,\r\n"
        );
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }
}
