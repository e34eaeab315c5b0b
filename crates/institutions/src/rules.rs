//! The pure rules of the area: the vocabularies, the five suspensions, shares with their rounding,
//! the reproducible 双随机 draw and the masking of a published decision. No I/O.

use chrono::NaiveDate;

/// Whether a registry row is an institution or a community care facility (one table, one id space).
pub const CATEGORIES: [(&str, &str); 2] = [
    ("institution", "民政服务机构"),
    ("community_care_facility", "社区养老服务设施"),
];

/// Institution kinds (`category = institution`) and facility kinds (`category = community_care_facility`).
pub const KINDS: [(&str, &str, &str); 8] = [
    ("welfare_home", "社会福利院", "institution"),
    ("elderly_home", "养老机构", "institution"),
    ("child_welfare", "儿童福利机构", "institution"),
    ("relief_station", "救助管理站", "institution"),
    ("mental_health_welfare", "精神卫生福利机构", "institution"),
    ("funeral_parlour", "殡仪馆", "institution"),
    ("center", "社区养老服务中心", "community_care_facility"),
    ("station", "社区养老服务站", "community_care_facility"),
];

/// Who runs it: 公办, 民办, 公建民营.
pub const OPERATORS: [(&str, &str); 3] = [
    ("public", "公办"),
    ("private", "民办"),
    ("public_private", "公建民营"),
];

/// The Chinese name of a kind (or the id itself when unknown).
pub fn kind_zh(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map(|k| k.1)
        .unwrap_or(kind)
}

/// The category a kind belongs to.
pub fn category_of(kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|k| k.0 == kind).map(|k| k.2)
}

/// The Chinese name of an operator kind.
pub fn operator_zh(op: &str) -> &str {
    OPERATORS
        .iter()
        .find(|k| k.0 == op)
        .map(|k| k.1)
        .unwrap_or(op)
}

/// One of the five suspensions (五个暂停) a closed-management order brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspension {
    /// 暂停探视.
    Visits,
    /// 暂停入住咨询.
    AdmissionConsultations,
    /// 暂停新入住.
    NewAdmissions,
    /// 暂停集体活动.
    GroupActivities,
    /// 暂停外出人员直接返回 (a recorded quarantine comes first).
    ReturnsFromOutside,
}

impl Suspension {
    /// The stored identifier.
    pub fn id(self) -> &'static str {
        match self {
            Suspension::Visits => "visits",
            Suspension::AdmissionConsultations => "admission_consultations",
            Suspension::NewAdmissions => "new_admissions",
            Suspension::GroupActivities => "group_activities",
            Suspension::ReturnsFromOutside => "returns_from_outside",
        }
    }

    /// What is suspended, in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            Suspension::Visits => "探视",
            Suspension::AdmissionConsultations => "入住咨询",
            Suspension::NewAdmissions => "新入住",
            Suspension::GroupActivities => "集体活动",
            Suspension::ReturnsFromOutside => "外出返回人员未经隔离观察直接入院",
        }
    }
}

/// A closed-management order as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderScope {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Who issued it (the body, e.g. 重庆市民政局).
    pub issuer: String,
    /// First day in force.
    pub from_date: NaiveDate,
    /// First day no longer in force, once lifted.
    pub lifted_on: Option<NaiveDate>,
    /// Region code prefixes it covers (empty: the issuer's whole scope, stored as its prefix).
    pub regions: Vec<String>,
    /// Institution kinds it covers (empty: every kind).
    pub kinds: Vec<String>,
}

impl OrderScope {
    /// Whether the order is in force on `date` for a unit of `kind` at `region_code`.
    pub fn covers(&self, region_code: &str, kind: &str, date: NaiveDate) -> bool {
        self.from_date <= date
            && self.lifted_on.is_none_or(|l| date < l)
            && self
                .regions
                .iter()
                .any(|p| region_code.starts_with(p.as_str()))
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }

    /// The refusal a user reads: which suspension, which order, since when.
    pub fn refusal(&self, s: Suspension) -> String {
        format!(
            "封闭管理期间暂停{}：依据{}《{}》（第 {} 号，自 {} 起施行）",
            s.name_zh(),
            self.issuer,
            self.title,
            self.id,
            self.from_date
        )
    }
}

/// The first order (lowest id) in force for the unit on the date.
pub fn order_in_force<'a>(
    orders: &'a [OrderScope],
    region_code: &str,
    kind: &str,
    date: NaiveDate,
) -> Option<&'a OrderScope> {
    orders
        .iter()
        .filter(|o| o.covers(region_code, kind, date))
        .min_by_key(|o| o.id)
}

/// A share in basis points (1 % = 100), rounded half up: `round(10000 × num / den)`, computed in
/// integers as `(20000 × num + den) / (2 × den)`. `None` when there is nothing to divide by.
pub fn share_bp(num: i64, den: i64) -> Option<i64> {
    if den <= 0 {
        return None;
    }
    Some((20000 * num + den) / (2 * den))
}

/// `6154` → `61.54%`; `None` → `—`.
pub fn bp_text(bp: Option<i64>) -> String {
    match bp {
        Some(b) => format!("{}.{:02}%", b / 100, b % 100),
        None => "—".into(),
    }
}

/// Risk levels of 分区分级 (low, medium, high).
pub const RISK_LEVELS: [(&str, &str); 3] =
    [("low", "低风险"), ("medium", "中风险"), ("high", "高风险")];

/// The Chinese name of a risk level.
pub fn risk_zh(level: &str) -> &str {
    RISK_LEVELS
        .iter()
        .find(|k| k.0 == level)
        .map(|k| k.1)
        .unwrap_or(level)
}

/// The generator of the 双随机 draw: SplitMix64, chosen because it is a few lines, has no
/// dependency and gives the same sequence everywhere, so anyone can re-check a draw from its seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next number of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0), by rejection so that every value is equally likely.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

/// Picks `k` of `pool` (sorted first, so the order the pool was read in does not matter) by a
/// partial Fisher–Yates shuffle driven by `rng`; the result keeps the drawing order.
pub fn pick(pool: &[i64], k: usize, rng: &mut SplitMix64) -> Vec<i64> {
    let mut v = pool.to_vec();
    v.sort_unstable();
    v.dedup();
    let k = k.min(v.len());
    for i in 0..k {
        let j = i + rng.below((v.len() - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(k);
    v
}

/// The whole 双随机 draw: `institutions_drawn` institutions from the institution pool, then for
/// each (in drawing order) `inspectors_each` inspectors from the inspector pool, all from one
/// sequence started at `seed`. Same seed and pools, same result.
pub fn draw(
    seed: u64,
    institutions: &[i64],
    inspectors: &[i64],
    institutions_drawn: usize,
    inspectors_each: usize,
) -> Vec<(i64, Vec<i64>)> {
    let mut rng = SplitMix64::new(seed);
    let chosen = pick(institutions, institutions_drawn, &mut rng);
    chosen
        .into_iter()
        .map(|i| (i, pick(inspectors, inspectors_each, &mut rng)))
        .collect()
}

/// Masks personal data in a decision before it is published (RULES.md §14.1: no personal privacy):
/// the numbers in it as `minzheng_kernel::mask::in_text` masks them, and each listed person's name
/// wherever it appears.
pub fn mask_for_publication(text: &str, names: &[String]) -> String {
    let mut out = minzheng_kernel::mask::in_text(text);
    let mut names: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
    // Longer names first, so that 张三丰 is masked whole before 张三 is looked for.
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for n in names {
        out = out.replace(n.trim(), &minzheng_kernel::mask::name(n));
    }
    out
}

/// Splits a comma- or 、-separated list into trimmed, non-empty parts.
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ' ', '\n'])
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Minutes between two `HH:MM` times of one day (a shift over midnight ends the next day).
pub fn shift_minutes(starts: &str, ends: &str) -> Option<i64> {
    let parse = |t: &str| -> Option<i64> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
    };
    let (a, b) = (parse(starts)?, parse(ends)?);
    if a == b {
        return None;
    }
    Some(if b > a { b - a } else { b + 1440 - a })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shares_round_half_up_in_basis_points() {
        assert_eq!(share_bp(62, 100), Some(6200));
        assert_eq!(share_bp(1, 3), Some(3333));
        assert_eq!(share_bp(2, 3), Some(6667));
        assert_eq!(share_bp(1, 8), Some(1250));
        assert_eq!(share_bp(1, 16000), Some(1)); // 0.625 bp rounds up
        assert_eq!(share_bp(1, 40000), Some(0)); // 0.25 bp rounds down
        assert_eq!(share_bp(0, 0), None);
        assert_eq!(bp_text(Some(6154)), "61.54%");
    }

    #[test]
    fn an_order_covers_its_regions_kinds_and_days_until_lifted() {
        let o = OrderScope {
            id: 3,
            title: "封闭管理令".into(),
            issuer: "重庆市民政局".into(),
            from_date: d("2020-01-25"),
            lifted_on: Some(d("2020-03-20")),
            regions: vec!["500103".into()],
            kinds: vec!["welfare_home".into()],
        };
        assert!(o.covers("500103001003", "welfare_home", d("2020-01-25")));
        assert!(o.covers("500103001003", "welfare_home", d("2020-03-19")));
        assert!(!o.covers("500103001003", "welfare_home", d("2020-03-20")));
        assert!(!o.covers("500103001003", "welfare_home", d("2020-01-24")));
        assert!(!o.covers("500106001001", "welfare_home", d("2020-02-01")));
        assert!(!o.covers("500103001003", "center", d("2020-02-01")));
        assert!(o.refusal(Suspension::Visits).contains("第 3 号"));
    }

    #[test]
    fn the_draw_is_reproducible_from_its_seed() {
        let inst: Vec<i64> = (1..=50).collect();
        let insp: Vec<i64> = (100..110).collect();
        let a = draw(42, &inst, &insp, 5, 2);
        let mut shuffled = inst.clone();
        shuffled.reverse();
        let b = draw(42, &shuffled, &insp, 5, 2);
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
        assert!(a.iter().all(|(_, p)| p.len() == 2 && p[0] != p[1]));
        assert_ne!(a, draw(43, &inst, &insp, 5, 2));
        assert_eq!(draw(1, &[7], &[1, 2, 3], 4, 5).len(), 1);
    }

    #[test]
    fn publication_masks_ids_phones_and_names() {
        let t = "当事人张三丰（身份证号50010319900101123X，电话13812345678）经营的机构罚款5000元";
        let m = mask_for_publication(t, &["张三丰".into()]);
        assert_eq!(
            m,
            "当事人张*丰（身份证号500103********123X，电话138****5678）经营的机构罚款5000元"
        );
    }

    #[test]
    fn shifts_count_minutes_across_midnight() {
        assert_eq!(shift_minutes("08:00", "16:00"), Some(480));
        assert_eq!(shift_minutes("20:00", "08:00"), Some(720));
        assert_eq!(shift_minutes("25:00", "08:00"), None);
    }
}
