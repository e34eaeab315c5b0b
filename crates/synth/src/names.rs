//! Chinese personal names: a surname drawn by real frequency, a given name of one or two
//! characters in the style of the person's sex and birth decade, and now and then a rare character
//! (including CJK Extension A), because real registers hold such names and screens, search keys and
//! exports must cope with them.

use minzheng_kernel::id_number::Sex;

use crate::rng::Rng;

/// Surnames with their approximate share per 100,000 people, tilted to Chongqing: national
/// rankings of the household-registration statistics (王 李 张 刘 陈 …) adjusted by the order seen in
/// Chongqing (陈 and 刘 ahead of 王; 谭 向 冉 秦 牟 况 但 敖 蒲 more frequent than nationally).
/// The table covers about nine in ten people; draws are proportional to the weights, so each
/// share in the output is its weight divided by the table's total (王 about 6 %).
/// Compound surnames are at their real, low rates.
pub const SURNAMES: &[(&str, u32)] = &[
    ("陈", 7000),
    ("李", 6900),
    ("刘", 6300),
    ("张", 5900),
    ("王", 5700),
    ("杨", 3900),
    ("黄", 2500),
    ("周", 2400),
    ("罗", 2100),
    ("吴", 1900),
    ("何", 1900),
    ("谭", 1500),
    ("唐", 1500),
    ("邓", 1500),
    ("胡", 1400),
    ("彭", 1400),
    ("谢", 1300),
    ("蒋", 1200),
    ("徐", 1100),
    ("曾", 1100),
    ("赵", 1000),
    ("余", 1000),
    ("田", 900),
    ("袁", 900),
    ("向", 800),
    ("廖", 800),
    ("冉", 700),
    ("秦", 700),
    ("熊", 700),
    ("龚", 650),
    ("郭", 650),
    ("朱", 650),
    ("马", 600),
    ("肖", 600),
    ("林", 550),
    ("高", 550),
    ("梁", 500),
    ("宋", 500),
    ("冯", 500),
    ("许", 450),
    ("曹", 450),
    ("杜", 450),
    ("程", 450),
    ("钟", 450),
    ("牟", 450),
    ("韩", 400),
    ("董", 400),
    ("潘", 400),
    ("蔡", 400),
    ("叶", 400),
    ("任", 400),
    ("石", 400),
    ("付", 400),
    ("雷", 400),
    ("苏", 350),
    ("魏", 350),
    ("丁", 350),
    ("卢", 350),
    ("汪", 350),
    ("邹", 350),
    ("龙", 350),
    ("文", 350),
    ("吕", 300),
    ("姚", 300),
    ("范", 300),
    ("夏", 300),
    ("邱", 300),
    ("江", 300),
    ("万", 300),
    ("易", 300),
    ("沈", 250),
    ("姜", 250),
    ("方", 250),
    ("白", 250),
    ("尹", 250),
    ("段", 250),
    ("陶", 250),
    ("黎", 250),
    ("贺", 250),
    ("毛", 250),
    ("代", 250),
    ("崔", 200),
    ("陆", 200),
    ("金", 200),
    ("贾", 200),
    ("侯", 200),
    ("严", 200),
    ("覃", 200),
    ("戴", 200),
    ("汤", 200),
    ("赖", 200),
    ("蒲", 200),
    ("喻", 200),
    ("甘", 180),
    ("韦", 150),
    ("孟", 150),
    ("薛", 150),
    ("史", 150),
    ("邵", 150),
    ("莫", 150),
    ("康", 150),
    ("敖", 150),
    ("游", 150),
    ("舒", 150),
    ("涂", 150),
    ("顾", 120),
    ("钱", 120),
    ("况", 120),
    ("晏", 120),
    ("简", 120),
    ("左", 120),
    ("岳", 120),
    ("闫", 100),
    ("郝", 100),
    ("武", 100),
    ("孔", 100),
    ("常", 100),
    ("施", 100),
    ("洪", 100),
    ("瞿", 100),
    ("庞", 100),
    ("乔", 80),
    ("但", 80),
    ("官", 80),
    ("欧", 80),
    ("幸", 60),
    ("隆", 60),
    ("粟", 60),
    ("柏", 60),
    ("母", 60),
    ("税", 50),
    ("邬", 50),
    ("吉", 50),
    ("谯", 40),
    ("欧阳", 40),
    ("上官", 3),
    ("司马", 2),
    ("诸葛", 1),
];

/// Characters that appear in real given names but are rare, outside the common input sets or
/// outside the Basic Multilingual Plane's main CJK block: `㭎` (U+3B4E) and `䶮` (U+4DAE) are CJK
/// Extension A. About one name in 5,000 carries one, so that data paths meet them early.
pub const RARE_CHARACTERS: &[char] = &['㭎', '䶮', '堃', '淼', '喆', '昇', '玥', '燚', '犇', '垚'];

/// One in this many given names takes a rare character.
const RARE_ONE_IN: u64 = 5000;

/// Given-name characters by sex and birth period: before 1970, 1970–1989, from 1990.
const MALE_BEFORE_1970: &[char] = &[
    '国', '华', '建', '明', '文', '德', '福', '贵', '荣', '富', '祥', '春', '林', '兴', '中', '云',
    '江', '海', '清', '生', '泉', '山', '成', '光', '志', '忠', '宝', '长', '金', '学', '树', '先',
    '开', '洪', '庆', '和', '平', '安', '全', '友', '元', '才', '发', '顺', '银', '大', '正', '继',
];
const MALE_1970_1989: &[char] = &[
    '伟', '强', '磊', '军', '勇', '杰', '涛', '斌', '超', '明', '刚', '平', '辉', '鹏', '华', '飞',
    '波', '鑫', '宇', '浩', '凯', '健', '俊', '帆', '旭', '宁', '龙', '林', '峰', '亮', '东', '兵',
    '毅', '锋', '剑', '彬', '渝', '川', '洋', '智', '小', '永', '红', '春', '建', '文',
];
const MALE_FROM_1990: &[char] = &[
    '浩', '宇', '轩', '子', '梓', '睿', '博', '泽', '哲', '航', '铭', '鸿', '瑞', '诚', '景', '逸',
    '宸', '嘉', '思', '天', '晨', '昊', '然', '俊', '杰', '文', '涵', '煜', '皓', '翔', '宏', '雨',
    '一', '豪', '鑫', '奕', '骏', '霖', '楷', '阳', '辰', '毅',
];
const FEMALE_BEFORE_1970: &[char] = &[
    '秀', '英', '兰', '芳', '珍', '玉', '华', '桂', '凤', '素', '淑', '琼', '梅', '翠', '碧', '蓉',
    '群', '菊', '莲', '春', '香', '芬', '明', '清', '惠', '云', '会', '贞', '焕', '德', '朝', '书',
];
const FEMALE_1970_1989: &[char] = &[
    '丽', '娟', '敏', '静', '燕', '艳', '霞', '玲', '芳', '红', '婷', '莉', '琴', '雪', '慧', '洁',
    '倩', '丹', '萍', '晶', '颖', '佳', '琳', '露', '蓉', '虹', '娜', '小', '晓', '利', '英', '梅',
];
const FEMALE_FROM_1990: &[char] = &[
    '欣', '怡', '涵', '梓', '萱', '雨', '思', '诗', '佳', '可', '馨', '语', '若', '琪', '悦', '妍',
    '晨', '瑶', '彤', '梦', '雅', '婷', '钰', '一', '子', '紫', '嘉', '艺', '依', '沁', '璐', '瑾',
];

/// A surname, drawn by the frequencies of [`SURNAMES`].
pub fn surname(rng: &mut Rng) -> &'static str {
    rng.pick_weighted(SURNAMES).unwrap_or("王")
}

/// A given name for someone of `sex` born in `birth_year`: one character or two (about one in
/// three single before 1990, one in seven from 1990, as naming fashion changed), taken from
/// characters typical of the sex and period; for women born from 1975 sometimes a doubled
/// character (婷婷). About one name in 5,000 takes a character of [`RARE_CHARACTERS`].
pub fn given_name(rng: &mut Rng, sex: Sex, birth_year: i32) -> String {
    let pool = match (sex, birth_year) {
        (Sex::Male, ..1970) => MALE_BEFORE_1970,
        (Sex::Male, 1970..1990) => MALE_1970_1989,
        (Sex::Male, _) => MALE_FROM_1990,
        (Sex::Female, ..1970) => FEMALE_BEFORE_1970,
        (Sex::Female, 1970..1990) => FEMALE_1970_1989,
        (Sex::Female, _) => FEMALE_FROM_1990,
    };
    let single_per_mille = if birth_year < 1990 { 330 } else { 150 };
    let mut characters: Vec<char> = Vec::with_capacity(2);
    let first = *rng.pick(pool).unwrap_or(&'明');
    characters.push(first);
    if !rng.chance(single_per_mille) {
        let doubled = sex == Sex::Female && birth_year >= 1975 && rng.chance(30);
        if doubled {
            characters.push(first);
        } else {
            let mut second = *rng.pick(pool).unwrap_or(&'华');
            if second == first {
                second = *rng.pick(pool).unwrap_or(&'华');
            }
            characters.push(second);
        }
    }
    if rng.below(RARE_ONE_IN) == 0 {
        let rare = *rng.pick(RARE_CHARACTERS).unwrap_or(&'㭎');
        if let Some(last) = characters.last_mut() {
            *last = rare;
        }
    }
    characters.into_iter().collect()
}

/// A full name (surname then given name), e.g. `陈俊杰`; see [`surname`] and [`given_name`].
pub fn person_name(rng: &mut Rng, sex: Sex, birth_year: i32) -> String {
    let family = surname(rng);
    let mut name = String::with_capacity(family.len() + 6);
    name.push_str(family);
    name.push_str(&given_name(rng, sex, birth_year));
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn surnames_are_unique_and_han() {
        let mut seen = HashSet::new();
        for (name, weight) in SURNAMES {
            assert!(seen.insert(*name), "{name} twice");
            assert!(*weight > 0);
            assert!(name.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)));
        }
        assert!(SURNAMES.len() >= 120, "{}", SURNAMES.len());
    }

    #[test]
    fn rare_characters_include_extension_a() {
        assert!(
            RARE_CHARACTERS
                .iter()
                .any(|c| ('\u{3400}'..='\u{4DBF}').contains(c))
        );
    }
}
