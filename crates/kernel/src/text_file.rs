//! The one reader of the text files people import (registers from other departments, recipient
//! lists, holiday notices), from the command line or a page: UTF-8 with or without a byte-order
//! mark, or GBK, which is what Excel on a Chinese Windows saves as "CSV". Anything else is refused
//! in Chinese, saying what the file looks like and how to save it again, instead of the English
//! "stream did not contain valid UTF-8" a reader of UTF-8 alone gives.
//!
//! A file is GBK only when it is not UTF-8 damaged in a few places: UTF-8 Chinese text with one
//! broken byte would also decode as GBK, into other characters, so a file whose non-ASCII text is
//! mostly valid UTF-8 is refused with the line of the first broken byte instead.

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a byte-order mark, if any, is dropped).
    Utf8,
    /// GBK (GB 18030's two-byte part), as Excel's "CSV (逗号分隔)" writes on a Chinese Windows.
    Gbk,
}

impl Encoding {
    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gbk => "GBK",
        }
    }
}

/// A decoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFile {
    /// The text, without a byte-order mark.
    pub text: String,
    /// What it was written in.
    pub encoding: Encoding,
}

/// How to save a file so that it reads.
pub const SAVE_AS: &str = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重试";

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextFileError {
    /// UTF-16, which Excel writes as "Unicode 文本".
    #[error("文件是 UTF-16 编码（Excel 的“Unicode 文本”）：{SAVE_AS}")]
    Utf16,
    /// A zip (an .xlsx workbook) or other binary file.
    #[error("文件不是文本文件（看起来是 Excel 工作簿或其他二进制文件）：{SAVE_AS}")]
    Binary,
    /// UTF-8 with bytes broken at this line.
    #[error(
        "文件是 UTF-8 编码，但第 {line} 行有无法识别的字节（文件可能已损坏或被截断）：{SAVE_AS}"
    )]
    BrokenUtf8 {
        /// The line (from 1) of the first broken byte.
        line: usize,
    },
    /// Neither UTF-8 nor GBK.
    #[error(
        "文件既不是 UTF-8 也不是 GBK 编码（第 {line} 行起无法识别，可能是 Big5 等其他编码）：{SAVE_AS}"
    )]
    Unknown {
        /// The line (from 1) where decoding failed.
        line: usize,
    },
}

/// The line (from 1) of byte offset `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Reads an imported file's bytes as text: UTF-8 (a byte-order mark dropped) or GBK.
pub fn decode(bytes: &[u8]) -> Result<TextFile, TextFileError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(TextFileError::Utf16);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(TextFileError::Binary);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // UTF-16 without a mark: ASCII text with a zero byte beside every character.
    let zeros = body.iter().take(4096).filter(|b| **b == 0).count();
    if zeros * 4 > body.len().min(4096) {
        return Err(TextFileError::Utf16);
    }
    let mut valid_non_ascii = 0usize;
    let mut first_broken: Option<usize> = None;
    let mut broken = 0usize;
    let mut at = 0usize;
    for chunk in body.utf8_chunks() {
        valid_non_ascii += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            broken += 1;
            first_broken.get_or_insert(at);
            at += chunk.invalid().len();
        }
    }
    let Some(first_broken) = first_broken else {
        return Ok(TextFile {
            text: String::from_utf8_lossy(body).into_owned(),
            encoding: Encoding::Utf8,
        });
    };
    // GBK text forms a valid UTF-8 sequence only now and then; damaged UTF-8 is valid nearly
    // everywhere.
    if valid_non_ascii > broken * 4 {
        return Err(TextFileError::BrokenUtf8 {
            line: line_of(body, first_broken),
        });
    }
    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok(TextFile {
            text: text.into_owned(),
            encoding: Encoding::Gbk,
        }),
        None => {
            // Where GBK decoding stops: the longest prefix that decodes.
            let (mut good, mut bad) = (0, body.len());
            while bad - good > 1 {
                let mid = good + (bad - good) / 2;
                if encoding_rs::GBK
                    .decode_without_bom_handling_and_without_replacement(&body[..mid])
                    .is_some()
                {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
            Err(TextFileError::Unknown {
                line: line_of(body, good),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_or_without_a_mark_and_gbk_are_read() {
        let text = "program,姓名\n低保,张三\n";
        assert_eq!(
            decode(text.as_bytes()).unwrap(),
            TextFile {
                text: text.into(),
                encoding: Encoding::Utf8
            }
        );
        let marked = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&marked).unwrap().text, text);
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(
            decode(&gbk).unwrap(),
            TextFile {
                text: text.into(),
                encoding: Encoding::Gbk
            }
        );
    }

    #[test]
    fn other_files_are_refused_saying_what_they_are_and_how_to_save_them() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a,b".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&utf16), Err(TextFileError::Utf16));
        let unmarked: Vec<u8> = "a,b,c\nd,e,f"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&unmarked), Err(TextFileError::Utf16));
        assert_eq!(decode(b"PK\x03\x04rest"), Err(TextFileError::Binary));
        // UTF-8 Chinese with one byte cut off on line 3: not read as GBK gibberish.
        let mut damaged = "姓名,地址\n张三,渝中区七星岗\n李四,沙坪坝区"
            .as_bytes()
            .to_vec();
        let at = damaged.len() - 2;
        damaged.remove(at);
        damaged.extend_from_slice("\n王五,解放碑".as_bytes());
        assert_eq!(decode(&damaged), Err(TextFileError::BrokenUtf8 { line: 3 }));
        // A lone 0x80 is neither UTF-8 nor GBK.
        let e = decode(b"a,b\nc,\x80\xFF\n").unwrap_err();
        assert_eq!(e, TextFileError::Unknown { line: 2 });
        assert!(
            e.to_string().contains("另存为“CSV UTF-8（逗号分隔）”"),
            "{e}"
        );
    }
}
