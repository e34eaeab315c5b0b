//! Search keys for Chinese names (people, places, organizations): full pinyin and initials,
//! with the other readings of polyphonic characters, so that every search box of the platform
//! finds 重庆 by `重庆`, `chongqing`, `chong`, `cq`, and finds 曾小明 by `zengxiaoming` or `zxm`.
//!
//! Readings come from the `pinyin` crate (Unihan-based, no word knowledge, and listing readings
//! that never occur in names: 大 da/dai/tai, 王 wang/yu). So each character keeps the data's
//! first reading only, unless it is in a short table of characters read several ways in names
//! (`POLYPHONES`: 重 zhong/chong, 长 chang/zhang, 行 xing/hang, 曾 ceng/zeng…). On top of that:
//! words settle their characters' reading (重庆 chong, 长寿 chang, 丰都 du, 银行 hang…); in place
//! and organization names 长 reads chang, 都 du, and a surname before 家 its surname reading
//! (曾家镇 zeng); in a person's name the first character(s) take the surname reading (曾 zeng,
//! 单 shan, 解 xie, 仇 qiu, 区 ou, 朴 piao, 查 zha, 尉迟 yuchi…) with the other readings kept as
//! alternatives. The first reading of each character is the preferred one; at most
//! [`MAX_READINGS`] readings per character and [`MAX_VARIANTS`] spellings per name are kept,
//! cheapest (closest to the preferred) first.
//!
//! Keys are lowercase ASCII without tones or separators; `ü` is written `v` (as pinyin input
//! methods do) with `u` as an alternative (吕 → `lv`, `lu`). Characters without pinyin data (㭎 has
//! some: `gang`) are left out of the pinyin keys but stay in the name; ASCII letters and digits
//! pass through; middle dots, spaces and punctuation are dropped.

use pinyin::ToPinyinMulti;
use serde::{Deserialize, Serialize};

/// At most this many full spellings (and initials strings) per name, so a long organization name
/// full of polyphonic characters cannot blow up the index.
pub const MAX_VARIANTS: usize = 16;

/// At most this many readings per character are considered (the data lists rare readings too).
pub const MAX_READINGS: usize = 3;

/// What a name names: decides whether the first characters are read as a surname.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    /// A person: the first character (or a compound surname) takes its surname reading.
    Person,
    /// A place or region: 长 reads chang, 都 reads du.
    Place,
    /// An organization or institution: read like a place name.
    Organization,
}

/// The search keys of one name, to match a query in memory or to store for SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchKeys {
    /// The name as searched: separators and punctuation removed, ASCII lowercased, full-width
    /// letters and digits made ASCII (`华润·凌江` → `华润凌江`).
    pub name: String,
    /// Full pinyin spellings, preferred reading first (`chongqing`, `zhongqing`, …).
    pub full: Vec<String>,
    /// Initials, preferred reading first (`cq`, `zq`, …).
    pub initials: Vec<String>,
}

impl SearchKeys {
    /// Whether `query` finds this name: a substring of the Chinese name, of a full spelling
    /// (so any prefix, like `chong`), or of an initials string. The query is normalised with
    /// [`normalize_query`]; an empty query matches everything, as `LIKE '%%'` does. Exactly the
    /// same answer as `to_index_string().contains(normalize_query(query))`.
    pub fn matches(&self, query: &str) -> bool {
        let q = normalize_query(query);
        if q.is_empty() {
            return true;
        }
        self.name.contains(&q)
            || self.full.iter().any(|f| f.contains(&q))
            || self.initials.iter().any(|i| i.contains(&q))
    }

    /// A compact string to store in a database column and search with SQL `LIKE`.
    ///
    /// Format: the segments name, each full spelling, then each initials string, without
    /// duplicates, each followed by `|` and the whole preceded by `|`:
    /// `|重庆|chongqing|zhongqing|tongqing|cq|zq|tq|`. Search it with
    /// `LIKE '%' || $q || '%'` where `$q` is [`normalize_query`] of the input: a normalised query
    /// never contains `|`, `%` or `_`, so it cannot match across segments and needs no escaping,
    /// and the result is the one [`SearchKeys::matches`] gives. `LIKE '%|' || $q || '%'` matches
    /// at the start of a segment only (prefix search).
    pub fn to_index_string(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        let segments = std::iter::once(self.name.as_str())
            .chain(self.full.iter().map(String::as_str))
            .chain(self.initials.iter().map(String::as_str));
        for s in segments {
            if !s.is_empty() && !seen.contains(&s) {
                seen.push(s);
            }
        }
        let mut out = String::from("|");
        for s in seen {
            out.push_str(s);
            out.push('|');
        }
        out
    }
}

/// Folds one character for searching: full-width ASCII to ASCII, ASCII to lowercase, tone-marked
/// vowels to plain ones, `ü` to `v`.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        'ā' | 'á' | 'ǎ' | 'à' | 'Ā' | 'Á' | 'Ǎ' | 'À' => 'a',
        'ē' | 'é' | 'ě' | 'è' | 'Ē' | 'É' | 'Ě' | 'È' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' | 'Ī' | 'Í' | 'Ǐ' | 'Ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' | 'Ō' | 'Ó' | 'Ǒ' | 'Ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' | 'Ū' | 'Ú' | 'Ǔ' | 'Ù' => 'u',
        'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' | 'Ü' | 'Ǖ' | 'Ǘ' | 'Ǚ' | 'Ǜ' => 'v',
        _ => c,
    }
}

/// Normalises a search query the way names are normalised, so that a query and a stored key
/// compare: spaces, apostrophes, middle dots and all punctuation removed, ASCII lowercased,
/// full-width letters and digits made ASCII, tone marks removed (`Chóngqìng` → `chongqing`,
/// `重 庆` → `重庆`). The result contains only letters, digits and CJK characters.
pub fn normalize_query(query: &str) -> String {
    query
        .chars()
        .map(fold)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Words that settle the reading of their characters (all name kinds): inside them the
/// character has this reading only (会 is kuai only in 会计, 重 chong in 重庆).
const WORDS: &[(&str, &[&str])] = &[
    ("重庆", &["chong", "qing"]),
    ("重阳", &["chong", "yang"]),
    ("长寿", &["chang", "shou"]),
    ("长江", &["chang", "jiang"]),
    ("长者", &["zhang", "zhe"]),
    ("丰都", &["feng", "du"]),
    ("成都", &["cheng", "du"]),
    ("首都", &["shou", "du"]),
    ("朝阳", &["chao", "yang"]),
    ("朝天门", &["chao", "tian", "men"]),
    ("银行", &["yin", "hang"]),
    ("会计", &["kuai", "ji"]),
    ("调解", &["tiao", "jie"]),
    ("厦门", &["xia", "men"]),
];

/// Usual readings in place and organization names where the data's first reading is another.
const PLACE_CHARS: &[(char, &str)] = &[('长', "chang"), ('都', "du")];

/// Compound surnames (复姓) and their readings.
const COMPOUND_SURNAMES: &[(&str, [&str; 2])] = &[
    ("欧阳", ["ou", "yang"]),
    ("尉迟", ["yu", "chi"]),
    ("万俟", ["mo", "qi"]),
    ("澹台", ["tan", "tai"]),
    ("长孙", ["zhang", "sun"]),
    ("令狐", ["ling", "hu"]),
    ("乐正", ["yue", "zheng"]),
    ("呼延", ["hu", "yan"]),
    ("拓跋", ["tuo", "ba"]),
    ("司马", ["si", "ma"]),
    ("上官", ["shang", "guan"]),
    ("诸葛", ["zhu", "ge"]),
    ("皇甫", ["huang", "fu"]),
    ("公孙", ["gong", "sun"]),
    ("东方", ["dong", "fang"]),
    ("慕容", ["mu", "rong"]),
    ("宇文", ["yu", "wen"]),
    ("夏侯", ["xia", "hou"]),
    ("轩辕", ["xuan", "yuan"]),
    ("端木", ["duan", "mu"]),
    ("西门", ["xi", "men"]),
    ("南宫", ["nan", "gong"]),
    ("钟离", ["zhong", "li"]),
    ("赫连", ["he", "lian"]),
    ("淳于", ["chun", "yu"]),
    ("鲜于", ["xian", "yu"]),
    ("申屠", ["shen", "tu"]),
    ("闻人", ["wen", "ren"]),
    ("濮阳", ["pu", "yang"]),
    ("第五", ["di", "wu"]),
];

/// Surname readings of single characters whose data order puts another reading first, or
/// whose surname reading is one of several. (单于 is left out on purpose: 单 + a given name
/// starting with 于 is far more common than the compound surname; `chanyu` is still an
/// alternative spelling.)
const SURNAMES: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('尉', "wei"),
    ('盖', "ge"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('翟', "zhai"),
    ('召', "shao"),
    ('乐', "yue"),
    ('种', "chong"),
    ('秘', "bi"),
    ('折', "she"),
    ('员', "yun"),
    ('繁', "po"),
    ('隗', "wei"),
    ('句', "gou"),
    ('能', "nai"),
    ('祭', "zhai"),
    ('牟', "mou"),
    ('都', "du"),
    ('重', "chong"),
    ('宿', "su"),
    ('薄', "bo"),
    ('朝', "chao"),
    ('长', "chang"),
    ('卜', "bu"),
    ('阚', "kan"),
    ('郇', "xun"),
    ('洗', "xian"),
    ('乜', "nie"),
    ('粘', "nian"),
    ('佴', "nai"),
    ('炅', "gui"),
    ('藏', "zang"),
    ('沈', "shen"),
    ('柏', "bai"),
    ('贾', "jia"),
    ('石', "shi"),
    ('那', "na"),
    ('任', "ren"),
];

/// Characters read more than one way in names, with the readings kept (most usual in names
/// first). The `pinyin` data lists every reading Unihan knows (大 da/dai/tai, 王 wang/yu,
/// 会 hui/kuai…), most of which never occur in names and would only bloat the index; a character
/// not listed here keeps the data's first reading only. Surname and word readings are added on top.
const POLYPHONES: &[(char, &[&str])] = &[
    ('重', &["zhong", "chong"]),
    ('长', &["chang", "zhang"]),
    ('行', &["xing", "hang"]),
    ('都', &["du", "dou"]),
    ('朝', &["chao", "zhao"]),
    ('曾', &["ceng", "zeng"]),
    ('单', &["dan", "shan", "chan"]),
    ('解', &["jie", "xie"]),
    ('仇', &["chou", "qiu"]),
    ('朴', &["pu", "piao"]),
    ('查', &["cha", "zha"]),
    ('尉', &["wei", "yu"]),
    ('盖', &["gai", "ge"]),
    ('缪', &["miao", "mou"]),
    ('覃', &["qin", "tan"]),
    ('翟', &["zhai", "di"]),
    ('召', &["zhao", "shao"]),
    ('乐', &["le", "yue"]),
    ('种', &["zhong", "chong"]),
    ('秘', &["mi", "bi"]),
    ('折', &["zhe", "she"]),
    ('繁', &["fan", "po"]),
    ('隗', &["wei", "kui"]),
    ('句', &["ju", "gou"]),
    ('能', &["neng", "nai"]),
    ('祭', &["ji", "zhai"]),
    ('牟', &["mou", "mu"]),
    ('宿', &["su", "xiu"]),
    ('薄', &["bo", "bao"]),
    ('卜', &["bu", "bo"]),
    ('阚', &["kan"]),
    ('藏', &["cang", "zang"]),
    ('柏', &["bai", "bo"]),
    ('贾', &["jia", "gu"]),
    ('那', &["na", "nuo"]),
    ('会', &["hui"]),
    ('传', &["chuan", "zhuan"]),
    ('调', &["tiao", "diao"]),
    ('厦', &["xia", "sha"]),
    ('六', &["liu", "lu"]),
    ('堡', &["bao", "bu", "pu"]),
    ('角', &["jiao", "jue"]),
    ('落', &["luo", "la", "lao"]),
    ('觉', &["jue", "jiao"]),
    ('参', &["can", "shen"]),
    ('率', &["shuai", "lv"]),
    ('强', &["qiang", "jiang"]),
    ('降', &["jiang", "xiang"]),
    ('便', &["bian", "pian"]),
    ('度', &["du", "duo"]),
    ('乘', &["cheng", "sheng"]),
    ('省', &["sheng", "xing"]),
    ('弹', &["dan", "tan"]),
    ('校', &["xiao", "jiao"]),
    ('系', &["xi", "ji"]),
    ('将', &["jiang", "qiang"]),
    ('还', &["huan", "hai"]),
    ('奇', &["qi", "ji"]),
    ('阿', &["a", "e"]),
    ('蔚', &["wei", "yu"]),
    ('莘', &["shen", "xin"]),
    ('茜', &["qian", "xi"]),
    ('晟', &["sheng", "cheng"]),
    ('盛', &["sheng", "cheng"]),
    ('洗', &["xi", "xian"]),
    ('佴', &["er", "nai"]),
    ('炅', &["jiong", "gui"]),
    ('郇', &["xun", "huan"]),
    ('乜', &["mie", "nie"]),
    ('粘', &["zhan", "nian"]),
    ('万', &["wan", "mo"]),
    ('俟', &["si", "qi"]),
    ('澹', &["dan", "tan"]),
    ('和', &["he", "huo"]),
    ('露', &["lu", "lou"]),
    ('屏', &["ping", "bing"]),
    ('称', &["cheng", "chen"]),
    ('畜', &["chu", "xu"]),
    ('拓', &["tuo", "ta"]),
    ('宓', &["mi", "fu"]),
    ('褚', &["chu", "zhu"]),
    ('泌', &["mi", "bi"]),
    ('铅', &["qian", "yan"]),
    ('殷', &["yin", "yan"]),
    ('禅', &["chan", "shan"]),
    ('蚌', &["bang", "beng"]),
    ('番', &["fan", "pan"]),
    ('埔', &["pu", "bu"]),
    ('泊', &["bo", "po"]),
    ('涌', &["yong", "chong"]),
    ('佛', &["fo", "fu"]),
    ('艾', &["ai", "yi"]),
    ('车', &["che", "ju"]),
    ('颉', &["xie", "jie"]),
    ('亲', &["qin", "qing"]),
    ('乾', &["qian", "gan"]),
    ('期', &["qi", "ji"]),
    ('色', &["se", "shai"]),
    ('差', &["cha", "chai"]),
    ('给', &["gei", "ji"]),
    ('着', &["zhe", "zhuo"]),
    ('扎', &["zha", "za"]),
    ('夹', &["jia", "ga"]),
    ('数', &["shu", "shuo"]),
    ('沈', &["shen", "chen"]),
    ('区', &["qu"]),
    ('大', &["da"]),
    ('石', &["shi"]),
    ('员', &["yuan"]),
];

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The readings of `c` before any name rule: the `POLYPHONES` list, or else the data's first
/// reading, toneless; a reading with `ü` is spelled `v` (as input methods type it) and then `u`.
/// ASCII letters and digits read as themselves; empty when there is no pinyin.
fn char_readings(c: char) -> Vec<String> {
    if c.is_ascii_alphanumeric() {
        return vec![c.to_string()];
    }
    let listed: Vec<String> = if let Some((_, list)) = POLYPHONES.iter().find(|(p, _)| *p == c) {
        list.iter().map(|r| (*r).to_owned()).collect()
    } else {
        match c.to_pinyin_multi() {
            Some(multi) => vec![multi.get(0).plain().replace('ü', "v")],
            None => Vec::new(),
        }
    };
    let mut out: Vec<String> = Vec::new();
    for reading in listed {
        let with_u = reading.contains('v').then(|| reading.replace('v', "u"));
        push_unique(&mut out, reading);
        if let Some(u) = with_u {
            push_unique(&mut out, u);
        }
    }
    out
}

/// Moves `reading` to the front of `list` (adding it if the data lacks it).
fn prefer(list: &mut Vec<String>, reading: &str) {
    if list.is_empty() {
        return;
    }
    if let Some(pos) = list.iter().position(|r| r == reading) {
        let r = list.remove(pos);
        list.insert(0, r);
    } else {
        list.insert(0, reading.to_owned());
    }
}

/// Choices of one index per position, cheapest first (cost = sum of indices, so the preferred
/// spelling comes first, then those differing at one character…), at most `limit` of them.
fn ranked_choices(sizes: &[usize], limit: usize) -> Vec<Vec<usize>> {
    let n = sizes.len();
    // spare[i] = how much cost positions i.. can absorb.
    let mut spare = vec![0usize; n + 1];
    for i in (0..n).rev() {
        spare[i] = spare[i + 1] + sizes[i].saturating_sub(1);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current = vec![0usize; n];
    for budget in 0..=spare[0] {
        fill(sizes, &spare, 0, budget, &mut current, &mut out, limit);
        if out.len() >= limit {
            break;
        }
    }
    out
}

fn fill(
    sizes: &[usize],
    spare: &[usize],
    pos: usize,
    budget: usize,
    current: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
    limit: usize,
) {
    if out.len() >= limit {
        return;
    }
    if pos == sizes.len() {
        if budget == 0 {
            out.push(current.clone());
        }
        return;
    }
    for idx in 0..sizes[pos] {
        if idx > budget {
            break;
        }
        if budget - idx > spare[pos + 1] {
            continue;
        }
        current[pos] = idx;
        fill(sizes, spare, pos + 1, budget - idx, current, out, limit);
    }
}

/// Spellings of a name from per-character reading lists, cheapest first, without duplicates.
fn spell(lists: &[Vec<String>]) -> Vec<String> {
    if lists.is_empty() {
        return Vec::new();
    }
    let sizes: Vec<usize> = lists.iter().map(Vec::len).collect();
    let mut out: Vec<String> = Vec::new();
    for choice in ranked_choices(&sizes, MAX_VARIANTS) {
        let mut s = String::new();
        for (list, &idx) in lists.iter().zip(&choice) {
            s.push_str(&list[idx]);
        }
        push_unique(&mut out, s);
    }
    out
}

/// The search keys of `name` read as a `kind` name.
pub fn search_keys(name: &str, kind: NameKind) -> SearchKeys {
    let normalized = normalize_query(name);
    let chars: Vec<char> = normalized.chars().collect();
    let mut readings: Vec<Vec<String>> = chars.iter().map(|&c| char_readings(c)).collect();

    if kind != NameKind::Person {
        for (i, c) in chars.iter().enumerate() {
            if let Some((_, r)) = PLACE_CHARS.iter().find(|(pc, _)| pc == c) {
                prefer(&mut readings[i], r);
            }
        }
    }
    for (word, word_readings) in WORDS {
        let w: Vec<char> = word.chars().collect();
        if w.len() > chars.len() {
            continue;
        }
        for start in 0..=chars.len() - w.len() {
            if chars[start..start + w.len()] == w[..] {
                for (k, r) in word_readings.iter().enumerate() {
                    readings[start + k] = vec![(*r).to_owned()];
                }
            }
        }
    }
    if kind != NameKind::Person {
        // 曾家镇, 查家湾: a surname before 家 names a family, so it takes the surname reading.
        for i in 0..chars.len().saturating_sub(1) {
            if chars[i + 1] == '家'
                && let Some((_, r)) = SURNAMES.iter().find(|(s, _)| *s == chars[i])
            {
                prefer(&mut readings[i], r);
            }
        }
    }
    if kind == NameKind::Person {
        let compound = COMPOUND_SURNAMES.iter().find(|(s, _)| {
            let mut sc = s.chars();
            chars.len() >= 2
                && sc.next() == chars.first().copied()
                && sc.next() == chars.get(1).copied()
        });
        if let Some((_, r)) = compound {
            prefer(&mut readings[0], r[0]);
            prefer(&mut readings[1], r[1]);
        } else if let Some(first) = chars.first()
            && let Some((_, r)) = SURNAMES.iter().find(|(s, _)| s == first)
        {
            prefer(&mut readings[0], r);
        }
    }

    let lists: Vec<Vec<String>> = readings
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|mut r| {
            r.truncate(MAX_READINGS);
            r
        })
        .collect();
    let initial_lists: Vec<Vec<String>> = lists
        .iter()
        .map(|r| {
            let mut firsts: Vec<String> = Vec::new();
            for reading in r {
                if let Some(c) = reading.chars().next() {
                    push_unique(&mut firsts, c.to_string());
                }
            }
            firsts
        })
        .collect();
    SearchKeys {
        name: normalized,
        full: spell(&lists),
        initials: spell(&initial_lists),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(name: &str, kind: NameKind) -> (Vec<String>, Vec<String>) {
        let k = search_keys(name, kind);
        (k.full, k.initials)
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn chongqing_is_found_by_chongqing_and_cq() {
        let k = search_keys("重庆", NameKind::Place);
        assert_eq!(k.full, v(&["chongqing"]));
        assert_eq!(k.initials, v(&["cq"]));
        assert_eq!(k.to_index_string(), "|重庆|chongqing|cq|");
        for q in [
            "chongqing",
            "cq",
            "chong",
            "qing",
            "CQ",
            "Chóngqìng",
            "重庆",
            "重 庆",
            "庆",
            "",
        ] {
            assert!(k.matches(q), "{q}");
        }
        for q in ["zhongqing", "zq", "成都", "cqs"] {
            assert!(!k.matches(q), "{q}");
        }
        let city = search_keys("重庆市", NameKind::Organization);
        assert_eq!(city.full, v(&["chongqingshi"]));
        assert_eq!(city.initials, v(&["cqs"]));
        // Outside 重庆, 重 keeps both readings, the usual one first.
        assert_eq!(keys("重阳节", NameKind::Place).0, v(&["chongyangjie"]));
        assert_eq!(
            keys("重石", NameKind::Place).0,
            v(&["zhongshi", "chongshi"])
        );
    }

    #[test]
    fn surnames_take_their_surname_reading_first() {
        assert_eq!(
            keys("曾小明", NameKind::Person),
            (v(&["zengxiaoming", "cengxiaoming"]), v(&["zxm", "cxm"]))
        );
        assert_eq!(
            keys("曾小明", NameKind::Organization),
            (v(&["cengxiaoming", "zengxiaoming"]), v(&["cxm", "zxm"]))
        );
        assert_eq!(
            keys("单田芳", NameKind::Person),
            (
                v(&["shantianfang", "dantianfang", "chantianfang"]),
                v(&["stf", "dtf", "ctf"])
            )
        );
        assert_eq!(
            keys("解晓东", NameKind::Person),
            (v(&["xiexiaodong", "jiexiaodong"]), v(&["xxd", "jxd"]))
        );
        assert_eq!(
            keys("仇敏", NameKind::Person),
            (v(&["qiumin", "choumin"]), v(&["qm", "cm"]))
        );
        assert_eq!(
            keys("区志强", NameKind::Person),
            (
                v(&["ouzhiqiang", "ouzhijiang", "quzhiqiang", "quzhijiang"]),
                v(&["ozq", "ozj", "qzq", "qzj"])
            )
        );
        assert_eq!(
            keys("朴树", NameKind::Person),
            (v(&["piaoshu", "pushu"]), v(&["ps"]))
        );
        assert_eq!(
            keys("查良镛", NameKind::Person),
            (v(&["zhaliangyong", "chaliangyong"]), v(&["zly", "cly"]))
        );
        assert_eq!(
            keys("尉迟恭", NameKind::Person),
            (v(&["yuchigong", "weichigong"]), v(&["ycg", "wcg"]))
        );
        assert_eq!(
            keys("欧阳小明", NameKind::Person),
            (v(&["ouyangxiaoming"]), v(&["oyxm"]))
        );
        // A surname before 家 in a place name is a family name too.
        assert_eq!(
            keys("曾家镇", NameKind::Place),
            (v(&["zengjiazhen", "cengjiazhen"]), v(&["zjz", "cjz"]))
        );
        let zeng = search_keys("曾小明", NameKind::Person);
        assert!(zeng.matches("zeng") && zeng.matches("zxm") && zeng.matches("ceng"));
    }

    #[test]
    fn ordinary_names_of_two_and_three_characters() {
        assert_eq!(
            keys("王芳", NameKind::Person),
            (v(&["wangfang"]), v(&["wf"]))
        );
        assert_eq!(
            keys("李小龙", NameKind::Person),
            (v(&["lixiaolong"]), v(&["lxl"]))
        );
        assert_eq!(
            keys("吕布", NameKind::Person),
            (v(&["lvbu", "lubu"]), v(&["lb"]))
        );
        let k = search_keys("李小龙", NameKind::Person);
        for q in ["lixiaolong", "lixiao", "xiaolong", "lxl", "xl", "小龙"] {
            assert!(k.matches(q), "{q}");
        }
        assert!(!k.matches("lxm"));
    }

    #[test]
    fn chongqing_place_names() {
        assert_eq!(
            keys("长寿区", NameKind::Place),
            (v(&["changshouqu"]), v(&["csq"]))
        );
        assert_eq!(
            keys("大足区", NameKind::Place),
            (v(&["dazuqu"]), v(&["dzq"]))
        );
        assert_eq!(
            keys("丰都县", NameKind::Place),
            (v(&["fengduxian"]), v(&["fdx"]))
        );
        assert_eq!(
            keys("长生桥镇", NameKind::Place),
            (
                v(&["changshengqiaozhen", "zhangshengqiaozhen"]),
                v(&["csqz", "zsqz"])
            )
        );
        assert_eq!(
            keys("两江新区", NameKind::Place),
            (v(&["liangjiangxinqu"]), v(&["ljxq"]))
        );
    }

    #[test]
    fn rare_characters_middle_dots_and_latin() {
        let gang = search_keys("大青㭎村村民委员会", NameKind::Place);
        assert_eq!(gang.full, v(&["daqinggangcuncunminweiyuanhui"]));
        assert_eq!(gang.initials, v(&["dqgccmwyh"]));
        assert!(gang.matches("㭎") && gang.matches("qinggang") && gang.matches("dqg"));

        let dot = search_keys("华润·凌江社区居民委员会", NameKind::Place);
        assert_eq!(dot.name, "华润凌江社区居民委员会");
        assert_eq!(dot.full, v(&["huarunlingjiangshequjuminweiyuanhui"]));
        assert!(dot.matches("华润凌江") && dot.matches("华润·凌江") && dot.matches("hrlj"));

        let uyghur = search_keys("买买提·艾力", NameKind::Person);
        assert_eq!(uyghur.full, v(&["maimaitiaili", "maimaitiyili"]));
        assert_eq!(uyghur.initials, v(&["mmtal", "mmtyl"]));

        // U+30000 (CJK Extension G) has no pinyin data: skipped in the keys, kept in the name.
        let no_pinyin = search_keys("王\u{30000}明", NameKind::Person);
        assert_eq!(no_pinyin.full, v(&["wangming"]));
        assert_eq!(no_pinyin.name, "王\u{30000}明");

        let latin = search_keys("Ａ3号楼", NameKind::Place);
        assert_eq!(latin.name, "a3号楼");
        assert_eq!(latin.full, v(&["a3haolou"]));
        assert_eq!(latin.initials, v(&["a3hl"]));

        for empty in ["", "·", "  ", "々"] {
            let k = search_keys(empty, NameKind::Person);
            assert!(k.full.is_empty() && k.initials.is_empty(), "{empty:?}");
        }
        assert_eq!(search_keys("", NameKind::Place).to_index_string(), "|");
    }

    #[test]
    fn variants_are_bounded_and_the_preferred_comes_first() {
        let k = search_keys("重长行都朝曾单解仇朴查尉盖缪覃翟", NameKind::Organization);
        assert_eq!(k.full.len(), MAX_VARIANTS);
        assert_eq!(
            k.full[0],
            "zhongchangxingduchaocengdanjiechoupuchaweigaimiaoqinzhai"
        );
        assert!(k.initials.len() <= MAX_VARIANTS);
        assert_eq!(k.initials[0], "zcxdccdjcpcwgmqz");
    }

    #[test]
    fn ranked_choices_start_with_the_preferred_and_stay_bounded() {
        assert_eq!(
            ranked_choices(&[2, 1, 3], 16),
            vec![
                vec![0, 0, 0],
                vec![0, 0, 1],
                vec![1, 0, 0],
                vec![0, 0, 2],
                vec![1, 0, 1],
                vec![1, 0, 2],
            ]
        );
        assert_eq!(ranked_choices(&[3; 30], 16).len(), 16);
        assert_eq!(ranked_choices(&[], 16), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn normalize_query_keeps_only_letters_digits_and_han() {
        assert_eq!(normalize_query(" Chóng-Qìng's ５号 "), "chongqings5号");
        assert_eq!(normalize_query("Lǚ"), "lv");
        assert_eq!(normalize_query("%_|"), "");
    }

    proptest! {
        #[test]
        fn any_text_gives_ascii_keys_without_panicking(name in "\\PC{0,24}") {
            for kind in [NameKind::Person, NameKind::Place, NameKind::Organization] {
                let k = search_keys(&name, kind);
                prop_assert!(k.full.len() <= MAX_VARIANTS && k.initials.len() <= MAX_VARIANTS);
                for key in k.full.iter().chain(&k.initials) {
                    prop_assert!(key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
                }
                prop_assert!(!k.to_index_string().contains("||") || k.name.is_empty());
            }
        }

        #[test]
        fn matches_is_the_index_string_search(
            name in "[重庆长寿曾单解区大足王小明·a-c1 ]{0,8}",
            query in "[重庆长寿曾小明a-z·1 ]{1,6}",
        ) {
            let k = search_keys(&name, NameKind::Person);
            let q = normalize_query(&query);
            prop_assert_eq!(k.matches(&query), q.is_empty() || k.to_index_string().contains(&q));
        }
    }
}
