//! Masking of personal information (个人信息保护法): what lists, exports and public pages show by
//! default. Showing a value whole is a permission, checked and audited by the caller.

fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// `500103199001011234` → `500103********1234`: the region stays readable, birth date and sequence do not.
pub fn id_number(value: &str) -> String {
    keep_ends(value.trim(), 6, 4)
}

/// `13812345678` → `138****5678`.
pub fn phone(value: &str) -> String {
    let digits: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    keep_ends(&digits, 3, 4)
}

/// `6222021234567890123` → `6222***********0123`: enough to recognise the card, not to use it.
pub fn bank_account(value: &str) -> String {
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    keep_ends(&digits, 4, 4)
}

/// `张三明` → `张*明`, `张三` → `张*`, `欧阳小明` → `欧**明`: names on public pages.
pub fn name(value: &str) -> String {
    let chars: Vec<char> = value.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Masks the personal numbers people type into free text (a request's description, a decision to
/// be published): a run of 15–18 ID characters as an ID number, an 11-digit mobile number as a
/// phone, any other run of 11 or more digits as an account. Shorter numbers (amounts, house
/// numbers) stay as they are.
pub fn in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], 'X' | 'x')) {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let len = j - i;
        if (15..=18).contains(&len) {
            out.push_str(&id_number(&run));
        } else if len == 11 && run.starts_with('1') {
            out.push_str(&phone(&run));
        } else if len >= 11 {
            out.push_str(&bank_account(&run));
        } else {
            out.push_str(&run);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_a_list_needs() {
        assert_eq!(id_number("50010319900101123X"), "500103********123X");
        assert_eq!(phone("138 1234 5678"), "138****5678");
        assert_eq!(
            bank_account("6222 0212 3456 7890 123"),
            "6222***********0123"
        );
        assert_eq!(name("张三明"), "张*明");
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("欧阳小明"), "欧**明");
        assert_eq!(name("李"), "*");
        assert_eq!(phone("12"), "**");
    }

    #[test]
    fn numbers_in_text_are_masked_and_short_ones_kept() {
        assert_eq!(
            in_text(
                "请联系13812345678，身份证50010319900101123X，卡号6222021234567890123，3号楼12单元，罚款5000元"
            ),
            "请联系138****5678，身份证500103********123X，卡号6222***********0123，3号楼12单元，罚款5000元"
        );
    }
}
