//! Bank files (代发文件) and the banks' return files (回盘).
//!
//! Releasing an authorized cycle writes one file per bank: a control record (district, month,
//! bank, count, total) and one line per payment to make, in the bank's layout (CSV or fixed
//! width, UTF-8 or GBK, social-security card or bank account). A file is written from the frozen
//! payment lines, so it can be written again at any time byte for byte; its SHA-256 is recorded.
//! Recovery lines (negative) are not sent to a bank: they are collected separately.
//!
//! A return file is checked whole before anything is applied: every line must match a payment of
//! the file exactly once, the control record must agree with the file as issued and with the sum
//! of the lines. Failed payments go to the next cycle (a failure the bank may retry) or to the
//! worklist (the account must be corrected first). When every bank of a cycle has answered, the
//! cycle is reconciled.

use crate::payroll::{self, Cycle};
use crate::{BenefitsError, LineProblem};
use minzheng_access::{Action, Principal};
use minzheng_kernel::money::Fen;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Tx, Value, params};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

/// CSV or fixed-width lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated fields, quoted where needed.
    Csv,
    /// Fields at fixed byte positions (see [`FIXED_FIELDS`]).
    Fixed,
}

/// The character set the bank reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8.
    Utf8,
    /// GBK, as most bank systems in China still expect.
    Gbk,
}

/// The widths in bytes of a fixed-width detail line, in order: record type `D`, sequence,
/// payment id, account kind (`S` card, `B` account), account number, name, ID number, amount in
/// fen, month (YYYYMM). A return line adds the status (`S`/`F`), a 4-character reason code and
/// the bank's message.
pub const FIXED_FIELDS: [(&str, usize); 9] = [
    ("record", 1),
    ("seq", 8),
    ("payment_id", 12),
    ("account_kind", 1),
    ("account_no", 32),
    ("name", 30),
    ("id_number", 18),
    ("amount_fen", 12),
    ("month", 6),
];

/// A bank's file layout (`bank_layout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The bank's code on enrolments (e.g. `CQRCB`).
    pub bank_code: String,
    /// Its name.
    pub bank_name: String,
    /// CSV or fixed width.
    pub format: Format,
    /// UTF-8 or GBK.
    pub encoding: Encoding,
    /// The accounts it pays into: `ssc` (社保卡), `bank`, or `any`.
    pub account_kind: String,
}

impl Encoding {
    fn parse(s: &str) -> Result<Encoding, BenefitsError> {
        match s {
            "utf-8" => Ok(Encoding::Utf8),
            "gbk" => Ok(Encoding::Gbk),
            other => Err(BenefitsError::Invalid(format!(
                "代发文件编码“{other}”无效：应为 utf-8 或 gbk"
            ))),
        }
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gbk => "gbk",
        }
    }

    /// Encodes text; a character GBK cannot hold (a rare name character) becomes `?` and the
    /// second value says so.
    fn encode(self, text: &str) -> (Cow<'_, [u8]>, bool) {
        match self {
            Encoding::Utf8 => (Cow::Borrowed(text.as_bytes()), true),
            Encoding::Gbk => {
                let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
                if !had_errors {
                    return (bytes, true);
                }
                let mut out = Vec::with_capacity(text.len() * 2);
                let mut buf = [0u8; 4];
                for c in text.chars() {
                    let (b, _, bad) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
                    if bad {
                        out.push(b'?');
                    } else {
                        out.extend_from_slice(&b);
                    }
                }
                (Cow::Owned(out), false)
            }
        }
    }

    fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            Encoding::Utf8 => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            Encoding::Gbk => {
                encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes)
            }
        }
    }
}

impl Format {
    fn parse(s: &str) -> Result<Format, BenefitsError> {
        match s {
            "csv" => Ok(Format::Csv),
            "fixed" => Ok(Format::Fixed),
            other => Err(BenefitsError::Invalid(format!(
                "代发文件格式“{other}”无效：应为 csv 或 fixed"
            ))),
        }
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Fixed => "fixed",
        }
    }
}

/// Every bank's layout.
pub fn layouts(tx: &mut Tx<'_>) -> Result<Vec<Layout>, BenefitsError> {
    let rows = tx.query(
        "SELECT bank_code, bank_name, format, encoding, account_kind FROM bank_layout ORDER BY bank_code",
        params![],
    )?;
    rows.into_iter()
        .map(|r| {
            Ok(Layout {
                bank_code: r.get(0)?,
                bank_name: r.get(1)?,
                format: Format::parse(&r.get::<String>(2)?)?,
                encoding: Encoding::parse(&r.get::<String>(3)?)?,
                account_kind: r.get(4)?,
            })
        })
        .collect()
}

fn layout(tx: &mut Tx<'_>, bank: &str) -> Result<Layout, BenefitsError> {
    layouts(tx)?
        .into_iter()
        .find(|l| l.bank_code == bank)
        .ok_or_else(|| {
            BenefitsError::Invalid(format!(
                "银行 {bank} 没有代发文件格式，请先维护该银行的文件格式再生成代发文件"
            ))
        })
}

/// A bank file as recorded at release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFile {
    /// Its id.
    pub id: i64,
    /// The cycle.
    pub cycle_id: i64,
    /// The bank.
    pub bank_code: String,
    /// The name the file is delivered under.
    pub file_name: String,
    /// Detail lines.
    pub line_count: i64,
    /// Their total.
    pub total_fen: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Whether the bank's return file has been imported.
    pub returned: bool,
}

/// What releasing a cycle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The files, one per bank.
    pub files: Vec<BankFile>,
    /// Whether the cycle had been released before (then nothing changed).
    pub already: bool,
    /// Lines written with a character the bank's encoding cannot hold (replaced by `?`).
    pub warnings: Vec<String>,
}

/// The bank files of a cycle.
pub fn bank_files(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycle_id: i64,
) -> Result<Vec<BankFile>, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let cycle = payroll::load_whole_cycle(tx, who, cycle_id)?;
    files_of(tx, cycle.id)
}

fn files_of(tx: &mut Tx<'_>, cycle_id: i64) -> Result<Vec<BankFile>, BenefitsError> {
    let rows = tx.query(
        "SELECT f.id, f.cycle_id, f.bank_code, f.file_name, f.line_count, f.total_fen, f.sha256,
                (SELECT COUNT(*) FROM bank_return r WHERE r.bank_file_id = f.id)
         FROM bank_file f WHERE f.cycle_id = $1 ORDER BY f.bank_code",
        params![cycle_id],
    )?;
    rows.into_iter()
        .map(|r| {
            Ok(BankFile {
                id: r.get(0)?,
                cycle_id: r.get(1)?,
                bank_code: r.get(2)?,
                file_name: r.get(3)?,
                line_count: r.get(4)?,
                total_fen: r.get(5)?,
                sha256: r.get(6)?,
                returned: r.get::<i64>(7)? > 0,
            })
        })
        .collect()
}

/// A sink that hashes and counts what is written, for recording a file without keeping it.
struct Hashing<'a> {
    hasher: Sha256,
    inner: &'a mut dyn Write,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(buf);
        self.inner.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io(e: std::io::Error) -> BenefitsError {
    BenefitsError::Invalid(format!("写出代发文件失败：{e}"))
}

/// Releases an authorized cycle: one file per bank with payable lines, recorded with its control
/// figures and checksum; the cycle becomes `released`. A second release changes nothing.
pub fn release(tx: &mut Tx<'_>, who: &Principal, cycle_id: i64) -> Result<Release, BenefitsError> {
    who.require(Action::PayrollRelease)?;
    let cycle = payroll::load_whole_cycle(tx, who, cycle_id)?;
    if matches!(cycle.status.as_str(), "released" | "reconciled" | "closed") {
        return Ok(Release {
            files: files_of(tx, cycle.id)?,
            already: true,
            warnings: Vec::new(),
        });
    }
    if cycle.status != "authorized" {
        return Err(BenefitsError::Conflict(format!(
            "{} 月 {} 的发放名册当前为“{}”，须经财政批准后才能生成代发文件",
            cycle.month,
            cycle.district_code,
            payroll::stage_name(&cycle.status)
        )));
    }
    payroll::check_totals(tx, &cycle)?;
    let banks = tx.query(
        "SELECT bank_code, COUNT(*), CAST(SUM(amount_fen) AS BIGINT) FROM payment
         WHERE cycle_id = $1 AND amount_fen > 0 GROUP BY bank_code ORDER BY bank_code",
        params![cycle.id],
    )?;
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let mut warnings = Vec::new();
    for row in banks {
        let bank: String = row.get(0)?;
        let (count, total): (i64, i64) = (row.get(1)?, row.get(2)?);
        let layout = layout(tx, &bank)?;
        let mut sink = Hashing {
            hasher: Sha256::new(),
            inner: &mut std::io::sink(),
        };
        let written = render(tx, &cycle, &layout, &mut sink)?;
        warnings.extend(written.warnings);
        if (written.count, written.total) != (count, total) {
            return Err(BenefitsError::Conflict(format!(
                "银行 {bank} 的代发文件 {} 笔 {} 元，与名册的 {count} 笔 {} 元不一致",
                written.count,
                Fen(written.total).yuan_string(),
                Fen(total).yuan_string()
            )));
        }
        let sha = hex::encode(sink.hasher.finalize());
        let file_name = format!(
            "{bank}_{}_{}.{}",
            cycle.district_code,
            cycle.month.replace('-', ""),
            if layout.format == Format::Csv {
                "csv"
            } else {
                "txt"
            }
        );
        tx.execute(
            "INSERT INTO bank_file (cycle_id, bank_code, file_name, format, encoding, line_count, total_fen, sha256, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![
                cycle.id,
                bank,
                file_name,
                layout.format.code(),
                layout.encoding.code(),
                count,
                total,
                sha,
                who.username,
                now
            ],
        )?;
    }
    let changed = tx.execute(
        "UPDATE payroll_cycle SET status = 'released', released_by = $2, released_at = $3 WHERE id = $1 AND status = 'authorized'",
        params![cycle.id, who.username, now],
    )?;
    if changed != 1 {
        return Err(BenefitsError::Conflict(
            "发放名册刚被他人处理，请刷新后再试".into(),
        ));
    }
    let files = files_of(tx, cycle.id)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.release",
            record_type: "payroll_cycle",
            record_id: cycle.id.to_string(),
            subject_key: None,
            before: Some(serde_json::json!({ "status": "authorized" })),
            after: Some(serde_json::json!({ "status": "released" })),
            detail: serde_json::json!({
                "files": files.iter().map(|f| serde_json::json!({
                    "bank": f.bank_code, "lines": f.line_count, "total_fen": f.total_fen, "sha256": f.sha256,
                })).collect::<Vec<_>>(),
                "warnings": warnings.len(),
            }),
        },
    )?;
    Ok(Release {
        files,
        already: false,
        warnings,
    })
}

/// What a bank file carries whole: the bank needs them to pay, so holding [`Action::PayrollRelease`]
/// over the whole district is what allows it, beside or without [`Action::PersonUnmask`].
pub const UNMASKED_IN_BANK_FILES: [&str; 3] = ["id_number", "name", "account_no"];

/// Records that `who` takes a bank file out of the system (checking they may: the release
/// permission over the whole district), before any byte leaves, as every export of personal data
/// is recorded.
pub fn record_download(
    tx: &mut Tx<'_>,
    who: &Principal,
    bank_file_id: i64,
) -> Result<BankFile, BenefitsError> {
    who.require(Action::PayrollRelease)?;
    let (file, cycle) = load_file(tx, who, bank_file_id)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.bank_file.download",
            record_type: "bank_file",
            record_id: file.id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({
                "cycle": cycle.id, "district": cycle.district_code, "month": cycle.month,
                "file": file.file_name, "lines": file.line_count, "total_fen": file.total_fen,
                "sha256": file.sha256, "unmasked": UNMASKED_IN_BANK_FILES,
            }),
        },
    )?;
    Ok(file)
}

/// Writes a released bank file to `out`, byte for byte as recorded at release (the checksum is
/// verified; a difference is refused, so write to a temporary file and keep it only on success).
pub fn write_file(
    tx: &mut Tx<'_>,
    who: &Principal,
    bank_file_id: i64,
    out: &mut dyn Write,
) -> Result<BankFile, BenefitsError> {
    who.require(Action::PayrollRelease)?;
    let (file, cycle) = load_file(tx, who, bank_file_id)?;
    let layout = layout(tx, &file.bank_code)?;
    let mut sink = Hashing {
        hasher: Sha256::new(),
        inner: out,
    };
    render(tx, &cycle, &layout, &mut sink)?;
    sink.flush().map_err(io)?;
    if hex::encode(sink.hasher.finalize()) != file.sha256 {
        return Err(BenefitsError::Conflict(format!(
            "代发文件 {} 的内容与生成时的校验值不一致，请勿发送，已记录",
            file.file_name
        )));
    }
    Ok(file)
}

/// A bank file as recorded (its cycle in the principal's scope, whole).
pub fn bank_file(
    tx: &mut Tx<'_>,
    who: &Principal,
    bank_file_id: i64,
) -> Result<BankFile, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    Ok(load_file(tx, who, bank_file_id)?.0)
}

fn load_file(
    tx: &mut Tx<'_>,
    who: &Principal,
    bank_file_id: i64,
) -> Result<(BankFile, Cycle), BenefitsError> {
    let cycle_id: i64 = tx
        .query_opt(
            "SELECT cycle_id FROM bank_file WHERE id = $1",
            params![bank_file_id],
        )?
        .ok_or_else(|| BenefitsError::Invalid(format!("没有编号为 {bank_file_id} 的代发文件")))?
        .get(0)?;
    let cycle = payroll::load_whole_cycle(tx, who, cycle_id)?;
    let file = files_of(tx, cycle_id)?
        .into_iter()
        .find(|f| f.id == bank_file_id)
        .ok_or_else(|| BenefitsError::Invalid(format!("没有编号为 {bank_file_id} 的代发文件")))?;
    Ok((file, cycle))
}

struct Written {
    count: i64,
    total: i64,
    warnings: Vec<String>,
}

/// Appends `text` to a fixed-width line: encoded, cut at a character boundary to `width` bytes,
/// padded with spaces. Returns whether the encoding held every character.
fn fixed_text(line: &mut Vec<u8>, enc: Encoding, text: &str, width: usize) -> bool {
    let (bytes, lossless) = enc.encode(text);
    let start = line.len();
    if bytes.len() <= width {
        line.extend_from_slice(&bytes);
    } else {
        let mut buf = [0u8; 4];
        for c in text.chars() {
            let (b, _) = enc.encode(c.encode_utf8(&mut buf));
            if line.len() - start + b.len() > width {
                break;
            }
            line.extend_from_slice(&b);
        }
    }
    line.resize(start + width, b' ');
    lossless
}

fn fixed_number(line: &mut Vec<u8>, value: i64, width: usize) -> Result<(), BenefitsError> {
    let text = format!("{value:0width$}");
    if value < 0 || text.len() > width {
        return Err(BenefitsError::Invalid(format!(
            "数值 {value} 超出代发文件 {width} 位字段"
        )));
    }
    line.extend_from_slice(text.as_bytes());
    Ok(())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// Splits one CSV line (RFC 4180 quoting).
pub(crate) fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Writes a bank's file of a cycle: the control record, then the payable lines in payment order.
fn render(
    tx: &mut Tx<'_>,
    cycle: &Cycle,
    layout: &Layout,
    out: &mut dyn Write,
) -> Result<Written, BenefitsError> {
    let head = tx.query_one(
        "SELECT COUNT(*), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payment
         WHERE cycle_id = $1 AND bank_code = $2 AND amount_fen > 0",
        params![cycle.id, layout.bank_code],
    )?;
    let (count, total): (i64, i64) = (head.get(0)?, head.get(1)?);
    let month = cycle.month.replace('-', "");
    let enc = layout.encoding;
    let mut line: Vec<u8> = Vec::with_capacity(256);
    match layout.format {
        Format::Fixed => {
            line.push(b'H');
            fixed_text(&mut line, enc, &cycle.district_code, 6);
            fixed_text(&mut line, enc, &month, 6);
            fixed_text(&mut line, enc, &layout.bank_code, 8);
            fixed_number(&mut line, count, 10)?;
            fixed_number(&mut line, total, 15)?;
        }
        Format::Csv => {
            let text = format!(
                "H,{},{month},{},{count},{}",
                cycle.district_code,
                layout.bank_code,
                Fen(total).yuan_string()
            );
            line.extend_from_slice(&enc.encode(&text).0);
        }
    }
    line.extend_from_slice(b"\r\n");
    out.write_all(&line).map_err(io)?;
    let mut written = Written {
        count: 0,
        total: 0,
        warnings: Vec::new(),
    };
    let mut writer = std::io::BufWriter::with_capacity(1 << 16, out);
    tx.query_each(
        "SELECT id, account_kind, account_no, payee_name, id_number, amount_fen, for_month
         FROM payment WHERE cycle_id = $1 AND bank_code = $2 AND amount_fen > 0 ORDER BY id",
        params![cycle.id, layout.bank_code],
        |mut row| -> Result<(), BenefitsError> {
            let id: i64 = row.take(0)?;
            let kind: String = row.take(1)?;
            let account: String = row.take(2)?;
            let name: String = row.take(3)?;
            let id_number: String = row.take(4)?;
            let amount: i64 = row.take(5)?;
            let for_month: String = row.take(6)?;
            if layout.account_kind != "any" && kind != layout.account_kind {
                return Err(BenefitsError::Invalid(format!(
                    "发放记录 {id} 的账户类型为 {kind}，{} 只接受 {} 账户，请先更正该享受人员的账户",
                    layout.bank_name, layout.account_kind
                )));
            }
            written.count += 1;
            written.total += amount;
            let seq = written.count;
            line.clear();
            let lossless = match layout.format {
                Format::Fixed => {
                    line.push(b'D');
                    fixed_number(&mut line, seq, 8)?;
                    fixed_number(&mut line, id, 12)?;
                    line.push(if kind == "ssc" { b'S' } else { b'B' });
                    let a = fixed_text(&mut line, enc, &account, 32);
                    let n = fixed_text(&mut line, enc, &name, 30);
                    let i = fixed_text(&mut line, enc, &id_number, 18);
                    fixed_number(&mut line, amount, 12)?;
                    fixed_text(&mut line, enc, &for_month.replace('-', ""), 6);
                    a && n && i
                }
                Format::Csv => {
                    let text = format!(
                        "D,{seq},{id},{kind},{},{},{id_number},{},{}",
                        csv_field(&account),
                        csv_field(&name),
                        Fen(amount).yuan_string(),
                        for_month.replace('-', "")
                    );
                    let (bytes, lossless) = enc.encode(&text);
                    line.extend_from_slice(&bytes);
                    lossless
                }
            };
            if !lossless {
                written.warnings.push(format!(
                    "第 {} 行（发放记录 {id}）姓名或账号含 {} 无法表示的字，已以“?”代替，请与银行核对",
                    seq + 1,
                    enc.code().to_uppercase()
                ));
            }
            line.extend_from_slice(b"\r\n");
            writer.write_all(&line).map_err(io)
        },
    )?;
    writer.flush().map_err(io)?;
    Ok(written)
}

/// What importing a return file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnOutcome {
    /// The bank file answered.
    pub bank_file_id: i64,
    /// Whether this very file had been imported before (then nothing changed).
    pub already: bool,
    /// Lines paid.
    pub paid: i64,
    /// Their total.
    pub paid_fen: i64,
    /// Lines the bank could not pay.
    pub failed: i64,
    /// Their total.
    pub failed_fen: i64,
    /// Failed lines to reissue in the next cycle.
    pub to_next_cycle: i64,
    /// Failed lines put on the worklist (the account must be corrected).
    pub to_worklist: i64,
    /// Whether the cycle is now reconciled (every bank has answered).
    pub cycle_reconciled: bool,
}

/// Where a failure goes, by the bank's reason code: `1xxx` are account problems (closed, frozen,
/// name mismatch) that staff must correct first; `2xxx` are the bank's own transient failures,
/// reissued in the next cycle as they are. Anything else goes to the worklist, where a person looks.
pub fn follow_up(code: &str) -> &'static str {
    if code.starts_with('2') {
        "next_cycle"
    } else {
        "worklist"
    }
}

/// One parsed return line.
struct ReturnLine {
    seq: i64,
    payment_id: i64,
    account_no: String,
    amount: i64,
    ok: bool,
    code: String,
    message: String,
}

fn parse_return_line(
    layout: &Layout,
    raw: &[u8],
    number: usize,
) -> Result<ReturnLine, LineProblem> {
    let bad = |reason: String| LineProblem {
        field: "",
        line: number,
        reason,
    };
    let (fields, status, code, message): (Vec<String>, String, String, String) = match layout.format
    {
        Format::Fixed => {
            let width: usize = FIXED_FIELDS.iter().map(|(_, w)| w).sum();
            if raw.len() < width + 5 {
                return Err(bad(format!(
                    "长度 {} 字节，回盘明细至少应有 {} 字节",
                    raw.len(),
                    width + 5
                )));
            }
            let mut at = 0;
            let mut fields = Vec::new();
            for (name, w) in FIXED_FIELDS {
                let text = layout.encoding.decode(&raw[at..at + w]).ok_or_else(|| {
                    bad(format!(
                        "字段 {name} 不是有效的 {} 文字",
                        layout.encoding.code()
                    ))
                })?;
                fields.push(text.trim().to_owned());
                at += w;
            }
            let rest = layout
                .encoding
                .decode(&raw[at..])
                .ok_or_else(|| bad("回盘结果不是有效文字".into()))?;
            let mut chars = rest.chars();
            let status: String = chars.by_ref().take(1).collect();
            let code: String = chars.by_ref().take(4).collect();
            (fields, status, code, chars.as_str().trim().to_owned())
        }
        Format::Csv => {
            let text = layout
                .encoding
                .decode(raw)
                .ok_or_else(|| bad(format!("不是有效的 {} 文字", layout.encoding.code())))?;
            let mut fields = split_csv(&text);
            if fields.len() != 12 {
                return Err(bad(format!(
                    "有 {} 个字段，回盘明细应为 12 个（代发明细 9 个 + 结果、原因代码、说明）",
                    fields.len()
                )));
            }
            let message = fields.pop().unwrap_or_default();
            let code = fields.pop().unwrap_or_default();
            let status = fields.pop().unwrap_or_default();
            (fields, status, code, message)
        }
    };
    if fields[0] != "D" {
        return Err(bad(format!("记录类型为“{}”，明细行应为 D", fields[0])));
    }
    let seq = fields[1]
        .parse::<i64>()
        .map_err(|_| bad(format!("序号“{}”不是数字", fields[1])))?;
    let payment_id = fields[2]
        .parse::<i64>()
        .map_err(|_| bad(format!("发放记录号“{}”不是数字", fields[2])))?;
    let amount = match layout.format {
        Format::Fixed => fields[7].parse::<i64>().ok(),
        Format::Csv => Fen::parse_yuan(&fields[7]).ok().map(|f| f.0),
    }
    .ok_or_else(|| bad(format!("金额“{}”无效", fields[7])))?;
    let ok = match status.as_str() {
        "S" => true,
        "F" => false,
        other => {
            return Err(bad(format!(
                "处理结果“{other}”无效：应为 S（成功）或 F（失败）"
            )));
        }
    };
    // What the bank writes is kept with the payment's result: bounded, without control characters.
    let code = crate::fields::text("原因代码", &code).map_err(|e| LineProblem::field(number, e))?;
    let message =
        crate::fields::text("银行说明", &message).map_err(|e| LineProblem::field(number, e))?;
    if !ok && code.is_empty() {
        return Err(bad("失败的明细须有原因代码".into()));
    }
    Ok(ReturnLine {
        seq,
        payment_id,
        account_no: fields[4].clone(),
        amount,
        ok,
        code: code.to_owned(),
        message: message.to_owned(),
    })
}

/// Imports a bank's return file for one bank file, whole or not at all: every problem is listed
/// with its line number and nothing is applied. The same file imported again changes nothing;
/// a different one for a file already answered is refused.
pub fn import_return(
    tx: &mut Tx<'_>,
    who: &Principal,
    bank_file_id: i64,
    bytes: &[u8],
) -> Result<ReturnOutcome, BenefitsError> {
    who.require(Action::PayrollRelease)?;
    let (file, cycle) = load_file(tx, who, bank_file_id)?;
    let sha = hex::encode(Sha256::digest(bytes));
    if let Some(r) = tx.query_opt(
        "SELECT sha256, paid_count, paid_fen, failed_count, failed_fen FROM bank_return WHERE bank_file_id = $1",
        params![file.id],
    )? {
        if r.get::<String>(0)? != sha {
            return Err(BenefitsError::Conflict(format!(
                "代发文件 {} 的回盘已经导入，不能再导入内容不同的回盘",
                file.file_name
            )));
        }
        return Ok(ReturnOutcome {
            bank_file_id: file.id,
            already: true,
            paid: r.get(1)?,
            paid_fen: r.get(2)?,
            failed: r.get(3)?,
            failed_fen: r.get(4)?,
            to_next_cycle: 0,
            to_worklist: 0,
            cycle_reconciled: cycle.status == "reconciled",
        });
    }
    if cycle.status != "released" {
        return Err(BenefitsError::Conflict(format!(
            "{} 月 {} 的发放名册当前为“{}”，只有已生成代发文件的名册才能导入回盘",
            cycle.month,
            cycle.district_code,
            payroll::stage_name(&cycle.status)
        )));
    }
    let layout = layout(tx, &file.bank_code)?;
    // The payments of the file, in the order and numbering of the file.
    let mut expected: HashMap<i64, (i64, i64, String)> = HashMap::new();
    tx.query_each(
        "SELECT id, amount_fen, account_no FROM payment
         WHERE cycle_id = $1 AND bank_code = $2 AND amount_fen > 0 ORDER BY id",
        params![cycle.id, file.bank_code],
        |mut row| -> Result<(), BenefitsError> {
            let seq = expected.len() as i64 + 1;
            expected.insert(row.take(0)?, (seq, row.take(1)?, row.take(2)?));
            Ok(())
        },
    )?;
    let mut problems: Vec<LineProblem> = Vec::new();
    let mut lines: Vec<ReturnLine> = Vec::with_capacity(expected.len());
    let mut seen: HashMap<i64, usize> = HashMap::with_capacity(expected.len());
    let mut control: Option<(i64, i64)> = None;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if number == 1 || raw.first() == Some(&b'H') {
            match parse_control(&layout, raw) {
                Some(c) if number == 1 => control = Some(c),
                _ => problems.push(LineProblem {
                    field: "",
                    line: number,
                    reason: "第一行应为且只能有一行控制记录（H）".into(),
                }),
            }
            continue;
        }
        let line = match parse_return_line(&layout, raw, number) {
            Ok(l) => l,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let Some((seq, amount, account)) = expected.get(&line.payment_id) else {
            problems.push(LineProblem {
                field: "",
                line: number,
                reason: format!(
                    "发放记录 {} 不在代发文件 {} 中，与任何一笔代发都不对应",
                    line.payment_id, file.file_name
                ),
            });
            continue;
        };
        if let Some(first) = seen.insert(line.payment_id, number) {
            problems.push(LineProblem {
                field: "",
                line: number,
                reason: format!("与第 {first} 行重复（发放记录 {}）", line.payment_id),
            });
            continue;
        }
        if line.seq != *seq || line.amount != *amount || line.account_no != *account {
            problems.push(LineProblem {
                field: "",
                line: number,
                reason: format!(
                    "发放记录 {} 的序号、账号或金额与代发文件不符（代发：序号 {seq}，金额 {} 元）",
                    line.payment_id,
                    Fen(*amount).yuan_string()
                ),
            });
            continue;
        }
        lines.push(line);
    }
    match control {
        // (A first line that is there but not a control record is already named.)
        None if problems.iter().any(|p| p.line == 1) => {}
        None => problems.insert(
            0,
            LineProblem {
                field: "",
                line: 1,
                reason: "缺少控制记录（H）".into(),
            },
        ),
        Some((count, total)) => {
            if (count, total) != (file.line_count, file.total_fen) {
                problems.push(LineProblem {
                    field: "",
                    line: 1,
                    reason: format!(
                        "控制记录为 {count} 笔 {} 元，与代发文件的 {} 笔 {} 元不一致",
                        Fen(total).yuan_string(),
                        file.line_count,
                        Fen(file.total_fen).yuan_string()
                    ),
                });
            }
            let sum: i64 = lines.iter().map(|l| l.amount).sum();
            if problems.is_empty() && (lines.len() as i64, sum) != (count, total) {
                problems.push(LineProblem {
                    field: "",
                    line: 1,
                    reason: format!(
                        "明细合计 {} 笔 {} 元，与控制记录的 {count} 笔 {} 元不一致",
                        lines.len(),
                        Fen(sum).yuan_string(),
                        Fen(total).yuan_string()
                    ),
                });
            }
        }
    }
    if problems.is_empty() && lines.len() < expected.len() {
        let missing: Vec<i64> = {
            let mut m: Vec<i64> = expected
                .keys()
                .filter(|id| !seen.contains_key(id))
                .copied()
                .collect();
            m.sort();
            m
        };
        problems.push(LineProblem {
            field: "",
            line: 0,
            reason: format!(
                "回盘缺少 {} 笔代发明细（如发放记录 {}）",
                missing.len(),
                missing
                    .iter()
                    .take(5)
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        });
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(BenefitsError::Lines(problems));
    }
    let mut out = ReturnOutcome {
        bank_file_id: file.id,
        already: false,
        paid: 0,
        paid_fen: 0,
        failed: 0,
        failed_fen: 0,
        to_next_cycle: 0,
        to_worklist: 0,
        cycle_reconciled: false,
    };
    for l in &lines {
        if l.ok {
            out.paid += 1;
            out.paid_fen += l.amount;
        } else {
            out.failed += 1;
            out.failed_fen += l.amount;
            if follow_up(&l.code) == "next_cycle" {
                out.to_next_cycle += 1;
            } else {
                out.to_worklist += 1;
            }
        }
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let return_id: i64 = tx
        .query_one(
            "INSERT INTO bank_return (bank_file_id, sha256, line_count, paid_count, paid_fen, failed_count, failed_fen, imported_by, imported_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![
                file.id,
                sha,
                lines.len() as i64,
                out.paid,
                out.paid_fen,
                out.failed,
                out.failed_fen,
                who.username,
                now
            ],
        )?
        .get(0)?;
    const COLUMNS: &[&str] = &[
        "payment_id",
        "bank_return_id",
        "cycle_id",
        "outcome",
        "reason_code",
        "reason",
        "follow_up",
    ];
    let mut rows = lines.into_iter().map(|l| {
        let (outcome, follow) = if l.ok {
            ("paid", "none")
        } else {
            ("failed", follow_up(&l.code))
        };
        let reason = if l.ok {
            String::new()
        } else if l.message.is_empty() {
            format!("银行原因代码 {}", l.code)
        } else {
            l.message
        };
        vec![
            Value::Int(l.payment_id),
            Value::Int(return_id),
            Value::Int(cycle.id),
            Value::Text(outcome.into()),
            Value::Text(l.code),
            Value::Text(reason),
            Value::Text(follow.into()),
        ]
    });
    tx.bulk_insert("payment_result", COLUMNS, &mut rows)?;
    let waiting: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM bank_file f WHERE f.cycle_id = $1
             AND NOT EXISTS (SELECT 1 FROM bank_return r WHERE r.bank_file_id = f.id)",
            params![cycle.id],
        )?
        .get(0)?;
    if waiting == 0 {
        tx.execute(
            "UPDATE payroll_cycle SET status = 'reconciled', reconciled_by = $2, reconciled_at = $3 WHERE id = $1 AND status = 'released'",
            params![cycle.id, who.username, now],
        )?;
        out.cycle_reconciled = true;
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.import_return",
            record_type: "bank_file",
            record_id: file.id.to_string(),
            subject_key: None,
            before: None,
            after: Some(serde_json::json!({
                "paid": out.paid, "paid_fen": out.paid_fen, "failed": out.failed, "failed_fen": out.failed_fen,
            })),
            detail: serde_json::json!({
                "sha256": sha, "next_cycle": out.to_next_cycle, "worklist": out.to_worklist,
                "cycle_reconciled": out.cycle_reconciled,
            }),
        },
    )?;
    Ok(out)
}

/// The control record's count and total, in the layout's form.
fn parse_control(layout: &Layout, raw: &[u8]) -> Option<(i64, i64)> {
    match layout.format {
        Format::Fixed => {
            if raw.len() < 46 || raw[0] != b'H' {
                return None;
            }
            let count = std::str::from_utf8(&raw[21..31]).ok()?.parse().ok()?;
            let total = std::str::from_utf8(&raw[31..46]).ok()?.parse().ok()?;
            Some((count, total))
        }
        Format::Csv => {
            let text = layout.encoding.decode(raw)?;
            let f = split_csv(&text);
            if f.len() != 6 || f[0] != "H" {
                return None;
            }
            Some((f[4].parse().ok()?, Fen::parse_yuan(&f[5]).ok()?.0))
        }
    }
}

/// A failed payment waiting on the worklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The failed payment.
    pub payment_id: i64,
    /// Its enrolment (where the account is corrected).
    pub enrolment_id: i64,
    /// The month it paid.
    pub for_month: String,
    /// The community.
    pub region_code: String,
    /// The amount.
    pub amount_fen: i64,
    /// The bank's reason code and text.
    pub reason: String,
}

/// Failed payments on the worklist (not yet resolved) within the principal's scope.
pub fn worklist(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Failure>, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let rows = tx.query(
        "SELECT p.id, p.enrolment_id, p.for_month, p.region_code, p.amount_fen, f.reason_code, f.reason
         FROM payment_result f JOIN payment p ON p.id = f.payment_id
         WHERE f.outcome = 'failed' AND f.follow_up = 'worklist' AND f.resolved_at IS NULL
         ORDER BY p.region_code, p.id",
        params![],
    )?;
    let scope = who.scope();
    let mut out = Vec::new();
    for r in rows {
        let region: String = r.get(3)?;
        if !scope.contains(&region) {
            continue;
        }
        out.push(Failure {
            payment_id: r.get(0)?,
            enrolment_id: r.get(1)?,
            for_month: r.get(2)?,
            region_code: region,
            amount_fen: r.get(4)?,
            reason: format!("{} {}", r.get::<String>(5)?, r.get::<String>(6)?),
        });
    }
    Ok(out)
}

/// Marks a failed payment on the worklist as resolved (its account corrected, or confirmed),
/// so the next cycle reissues it to the enrolment's account of that day.
pub fn resolve_failure(
    tx: &mut Tx<'_>,
    who: &Principal,
    payment_id: i64,
    note: &str,
) -> Result<(), BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    let note = note.trim();
    if note.chars().count() < 2 {
        return Err(BenefitsError::Invalid(
            "请写明处理情况（如：已更正账号）".into(),
        ));
    }
    let row = tx
        .query_opt(
            "SELECT p.region_code, f.resolved_at FROM payment_result f JOIN payment p ON p.id = f.payment_id
             WHERE f.payment_id = $1 AND f.outcome = 'failed' AND f.follow_up = 'worklist'",
            params![payment_id],
        )?
        .ok_or_else(|| BenefitsError::Invalid(format!("待处理清单中没有发放记录 {payment_id}")))?;
    let region: String = row.get(0)?;
    if !who.scope().contains(&region) {
        return Err(BenefitsError::Invalid(format!(
            "待处理清单中没有发放记录 {payment_id}"
        )));
    }
    if row.get::<Option<String>>(1)?.is_some() {
        return Err(BenefitsError::Conflict(format!(
            "发放记录 {payment_id} 已处理过，将在下一期重发"
        )));
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    tx.execute(
        "UPDATE payment_result SET resolved_by = $2, resolved_at = $3 WHERE payment_id = $1 AND resolved_at IS NULL",
        params![payment_id, who.username, now],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.resolve_failure",
            record_type: "payment",
            record_id: payment_id.to_string(),
            subject_key: None,
            before: None,
            after: Some(serde_json::json!({ "resolved": true })),
            detail: serde_json::json!({ "note": note }),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fields_are_cut_at_a_character_and_padded_in_bytes() {
        let mut line = Vec::new();
        // GBK: two bytes a character; 5 characters do not fit in 9 bytes, 4 do, plus a space.
        assert!(fixed_text(&mut line, Encoding::Gbk, "欧阳娜娜娜", 9));
        assert_eq!(line.len(), 9);
        assert_eq!(Encoding::Gbk.decode(&line).unwrap().as_ref(), "欧阳娜娜 ");
        let mut line = Vec::new();
        // UTF-8: three bytes a character.
        fixed_text(&mut line, Encoding::Utf8, "张三丰", 8);
        assert_eq!(std::str::from_utf8(&line).unwrap(), "张三  ");
        // A character outside GBK (𠀾, a rare name character) is written as `?` and reported.
        let mut line = Vec::new();
        assert!(!fixed_text(&mut line, Encoding::Gbk, "李𠀾", 6));
        assert_eq!(Encoding::Gbk.decode(&line).unwrap().as_ref(), "李?   ");
    }

    #[test]
    fn csv_fields_round_trip_with_quotes() {
        let line = format!("D,1,{},x", csv_field("王\"小\",二"));
        assert_eq!(split_csv(&line), vec!["D", "1", "王\"小\",二", "x"]);
    }

    #[test]
    fn failures_the_bank_may_retry_go_to_the_next_cycle() {
        assert_eq!(follow_up("2001"), "next_cycle");
        assert_eq!(follow_up("1001"), "worklist");
        assert_eq!(follow_up("9999"), "worklist");
    }
}
