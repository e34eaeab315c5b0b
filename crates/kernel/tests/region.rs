//! The Chongqing region tree on both sides of the 2025-11-06 change, through the public API.

use chrono::NaiveDate;
use minzheng_kernel::region::{
    CodeSystem, DivisionChangeKind, McaCode, ParentLink, RegionCode, RegionError, RegionKind,
    RegionLevel, RegionScope, RegionTree,
};

const MCA_CSV: &str = include_str!("../../../data/chongqing-divisions-mca-2025.csv");

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn before() -> NaiveDate {
    day(2025, 1, 1)
}

fn after() -> NaiveDate {
    day(2026, 2, 1)
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn scope(s: &str) -> RegionScope {
    RegionScope::parse(s).unwrap()
}

fn tree() -> &'static RegionTree {
    RegionTree::chongqing()
}

fn parent_code(c: &str, date: NaiveDate) -> String {
    tree()
        .parent(code(c), date)
        .unwrap()
        .map(|p| p.code.prefix())
        .unwrap_or_default()
}

#[test]
fn region_code_parses_every_typed_form_and_pads_to_12_digits() {
    let cases = [
        ("50", "500000000000", RegionLevel::Province),
        ("5001", "500100000000", RegionLevel::Prefecture),
        ("500103", "500103000000", RegionLevel::District),
        ("500103001", "500103001000", RegionLevel::Subdistrict),
        ("500103001001", "500103001001", RegionLevel::Community),
        (" 500103 ", "500103000000", RegionLevel::District),
        ("５００１０３", "500103000000", RegionLevel::District),
        ("441900003000", "441900003000", RegionLevel::Subdistrict),
    ];
    for (input, canonical, level) in cases {
        let c = RegionCode::parse(input).unwrap();
        assert_eq!(c.to_string(), canonical, "{input}");
        assert_eq!(c.level(), level, "{input}");
        assert_eq!(input.parse::<RegionCode>().unwrap(), c);
    }
    assert_eq!(code("500103").as_u64(), 500_103_000_000);
    assert_eq!(
        RegionCode::from_u64(500_103_001_001).unwrap(),
        code("500103001001")
    );
    assert_eq!(code("500103001").prefix(), "500103001");
    assert_eq!(code("50").prefix(), "50");

    let urban = code("500103001001");
    assert!(urban.is_urban_community() && !urban.is_village());
    let village = code("500153108200");
    assert!(village.is_village() && !village.is_urban_community());
    let township = code("500153108");
    assert!(!township.is_village() && !township.is_urban_community());
    assert_eq!(
        RegionKind::from_code(code("500103001")),
        Some(RegionKind::Street)
    );
    assert_eq!(
        RegionKind::from_code(code("500109102")),
        Some(RegionKind::Town)
    );
    assert_eq!(
        RegionKind::from_code(code("500229201")),
        Some(RegionKind::Township)
    );
    assert_eq!(RegionKind::from_code(code("5001")), None);
}

#[test]
fn region_code_rejects_what_is_not_a_code() {
    for bad in [
        "",
        "5",
        "500",
        "50010",
        "5001030",
        "5001030010",
        "5001030010011",
        "50a103",
        "000000000000",
        "100000000000",
        "990000000000",
        "500003000000",
        "500000001000",
        "500103000001",
        "-50103",
    ] {
        assert!(
            matches!(RegionCode::parse(bad), Err(RegionError::InvalidCode { .. })),
            "{bad:?} was accepted"
        );
    }
    assert_eq!(
        RegionCode::parse("50010").unwrap_err().to_string(),
        "区划代码 50010 格式不正确：应为 2、4、6、9 或 12 位数字"
    );
    assert_eq!(
        RegionCode::parse("100000000000").unwrap_err().to_string(),
        "区划代码 100000000000 格式不正确：省级代码 10 不存在"
    );
    assert!(RegionCode::from_u64(12).is_err());
    assert!(RegionCode::from_u64(5_001_030_010_011).is_err());
}

#[test]
fn region_scope_is_a_prefix_of_2_6_9_or_12_digits() {
    assert_eq!(scope("50").prefix(), "50");
    assert_eq!(scope("50"), RegionScope::CITY);
    assert_eq!(scope("500103").prefix(), "500103");
    assert_eq!(scope("500103001").to_string(), "500103001");
    assert_eq!(scope("500103001001").prefix(), "500103001001");
    assert_eq!(scope("500103000000").prefix(), "500103");
    assert_eq!(scope("500103").code(), code("500103"));
    for bad in ["5001", "500100000000", "", "5x"] {
        assert!(RegionScope::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert_eq!(
        RegionScope::parse("5001").unwrap_err().to_string(),
        "区划范围 5001 不正确：应为 2、6、9 或 12 位数字"
    );
}

#[test]
fn counts_per_level_before_and_after_the_change() {
    let t = tree();
    assert_eq!(t.nodes().len(), 12_341);
    for (date, districts) in [(before(), 38), (after(), 37)] {
        assert_eq!(t.count(RegionKind::Province, date), 1);
        assert_eq!(t.count(RegionKind::District, date), districts, "{date}");
        assert_eq!(t.count(RegionKind::Street, date), 245);
        assert_eq!(t.count(RegionKind::Town, date), 625);
        assert_eq!(t.count(RegionKind::Township, date), 161);
        assert_eq!(t.count(RegionKind::UrbanCommunity, date), 3_324);
        assert_eq!(t.count(RegionKind::Village, date), 7_946);
        assert_eq!(t.count_level(RegionLevel::Subdistrict, date), 1_031);
        assert_eq!(t.count_level(RegionLevel::Community, date), 11_270);
        assert_eq!(
            t.descendant_count(code("50"), date).unwrap(),
            districts + 1_031 + 11_270
        );
    }
    // 38 − 江北区 − 渝北区 + 两江新区 = 37.
    assert!(t.exists_on(code("500105"), before()));
    assert!(!t.exists_on(code("500105"), after()));
    assert!(!t.exists_on(code("500157"), before()));
    assert!(t.exists_on(code("500157"), after()));
    assert_eq!(t.children(code("50"), after()).unwrap().len(), 37);
}

#[test]
fn the_change_takes_effect_on_2025_11_06() {
    let eve = day(2025, 11, 5);
    let first = day(2025, 11, 6);
    for town in [
        "500112133",
        "500112135",
        "500112138",
        "500112140",
        "500112143",
    ] {
        assert_eq!(parent_code(town, eve), "500112", "{town}");
        assert_eq!(parent_code(town, first), "500109", "{town}");
    }
    for moved in [
        "500109006",
        "500109008",
        "500109009",
        "500109104",
        "500109108",
    ] {
        assert_eq!(parent_code(moved, eve), "500109", "{moved}");
        assert_eq!(parent_code(moved, first), "500157", "{moved}");
    }
    assert_eq!(parent_code("500105001", eve), "500105");
    assert_eq!(parent_code("500105001", first), "500157");
    assert_eq!(parent_code("500112009", first), "500157");
    assert_eq!(parent_code("500109001", first), "500109");
    assert_eq!(parent_code("500157", first), "50");

    let t = tree();
    assert_eq!(
        t.name_path(code("500109008"), eve).unwrap(),
        "重庆市/北碚区/水土街道"
    );
    assert_eq!(
        t.name_path(code("500109008"), first).unwrap(),
        "重庆市/两江新区/水土街道"
    );
    assert_eq!(
        t.name_path(code("500112135201"), after()).unwrap(),
        "重庆市/北碚区/大湾镇/河嘴村村民委员会"
    );
    let ancestors: Vec<String> = t
        .ancestors(code("500112135201"), before())
        .unwrap()
        .iter()
        .map(|n| n.code.to_string())
        .collect();
    assert_eq!(ancestors, ["500112135000", "500112000000", "500000000000"]);
    assert_eq!(t.parent(code("50"), after()).unwrap(), None);
    assert_eq!(
        t.parent_links(code("500109008")).unwrap(),
        vec![
            ParentLink {
                parent: code("500109"),
                valid_from: None,
                valid_to: Some(first),
            },
            ParentLink {
                parent: code("500157"),
                valid_from: Some(first),
                valid_to: None,
            },
        ]
    );
    assert_eq!(
        t.parent_links(code("500103001")).unwrap(),
        vec![ParentLink {
            parent: code("500103"),
            valid_from: None,
            valid_to: None,
        }]
    );
}

#[test]
fn subtree_sizes_on_both_sides() {
    let t = tree();
    assert_eq!(t.descendant_count(code("500105"), before()).unwrap(), 144);
    assert_eq!(t.descendant_count(code("500112"), before()).unwrap(), 442);
    assert_eq!(t.descendant_count(code("500109"), before()).unwrap(), 209);
    assert_eq!(t.descendant_count(code("500109"), after()).unwrap(), 256);
    assert_eq!(t.descendant_count(code("500157"), after()).unwrap(), 539);
    assert_eq!(t.children(code("500157"), after()).unwrap().len(), 42);
    assert_eq!(t.children(code("500109"), after()).unwrap().len(), 17);
    assert_eq!(t.descendant_count(code("500112135"), after()).unwrap(), 25);
    // Children are sorted by code, so the moved-in towns come after 北碚's own.
    let names: Vec<String> = t
        .children(code("500109"), after())
        .unwrap()
        .iter()
        .map(|n| n.name.clone())
        .collect();
    assert_eq!(names.last().map(String::as_str), Some("大盛镇"));
}

/// Names of the MCA townships under an MCA county.
fn mca_townships(county: &str) -> Vec<String> {
    let mut out: Vec<String> = MCA_CSV
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 4 && f[0] == "township" && f[3] == county).then(|| f[2].to_owned())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_change_agrees_with_the_mca_2025_file() {
    let t = tree();
    for county in ["500157", "500109"] {
        let mut ours: Vec<String> = t
            .children(code(county), after())
            .unwrap()
            .iter()
            .map(|n| n.name.clone())
            .collect();
        ours.sort();
        assert_eq!(ours, mca_townships(county), "{county}");
    }
}

#[test]
fn errors_say_which_code_and_why_in_chinese() {
    let t = tree();
    assert_eq!(
        t.lookup(code("500199")).unwrap_err().to_string(),
        "区划代码 500199000000 不存在"
    );
    assert_eq!(
        t.parent(code("500105"), after()).unwrap_err().to_string(),
        "区划代码 500105000000（江北区）在 2026-02-01 不存在：已于 2025-11-06 撤销"
    );
    assert_eq!(
        t.children(code("500157"), before())
            .unwrap_err()
            .to_string(),
        "区划代码 500157000000（两江新区）在 2025-01-01 不存在：2025-11-06 设立"
    );
    // Records keep codes of abolished units: lookup works on any date.
    assert_eq!(t.lookup(code("500105")).unwrap().name, "江北区");
    assert_eq!(
        t.lookup(code("500105")).unwrap().valid_to,
        Some(day(2025, 11, 6))
    );
}

#[test]
fn nodes_carry_system_kind_and_dates() {
    let t = tree();
    let lj = t.lookup(code("500157")).unwrap();
    assert_eq!(lj.system, CodeSystem::Mca);
    assert_eq!(lj.kind, RegionKind::District);
    assert_eq!(lj.valid_from, Some(day(2025, 11, 6)));
    assert_eq!(lj.valid_to, None);
    let yz = t.lookup(code("500103")).unwrap();
    assert_eq!(
        (yz.system, yz.valid_from, yz.valid_to),
        (CodeSystem::Nbs, None, None)
    );
    assert_eq!(t.lookup(code("50")).unwrap().name, "重庆市");
    assert_eq!(
        t.lookup(code("500103001")).unwrap().kind,
        RegionKind::Street
    );
    assert_eq!(
        t.lookup(code("500229201")).unwrap().kind,
        RegionKind::Township
    );

    let changes = t.changes();
    assert_eq!(changes.len(), 6);
    assert_eq!(changes[0].kind, DivisionChangeKind::Establish);
    assert!(changes.iter().all(|c| c.date == day(2025, 11, 6)));
    let moved: usize = changes
        .iter()
        .filter(|c| c.kind == DivisionChangeKind::Transfer)
        .map(|c| c.affected.len())
        .sum();
    assert_eq!(moved, 5 + 5 + 12 + 25);
}

#[test]
fn rare_character_and_middle_dot_names() {
    let t = tree();
    let gang = t.lookup(code("500153108200")).unwrap();
    assert_eq!(gang.name, "大青㭎村村民委员会");
    assert!(gang.name.contains('\u{3B4E}'));
    assert_eq!(gang.kind, RegionKind::Village);
    assert_eq!(
        t.name_path(gang.code, after()).unwrap(),
        "重庆市/荣昌区/古昌镇/大青㭎村村民委员会"
    );
    let dot = t.lookup(code("500107003013")).unwrap();
    assert_eq!(dot.name, "华润·凌江社区居民委员会");
    assert_eq!(dot.kind, RegionKind::UrbanCommunity);
    // 化龙桥社区工作站 has an urban code and no 居民委员会 in its name: the code decides.
    assert_eq!(
        t.lookup(code("500103013009")).unwrap().kind,
        RegionKind::UrbanCommunity
    );
}

#[test]
fn names_are_unique_only_within_their_parent() {
    let t = tree();
    let shuanglong: Vec<String> = t
        .nodes()
        .iter()
        .filter(|n| n.name == "双龙镇")
        .map(|n| n.code.to_string())
        .collect();
    assert_eq!(
        shuanglong,
        [
            "500115127000",
            "500230124000",
            "500235138000",
            "500237105000"
        ]
    );
    let found = t
        .child_by_name(code("500230"), "双龙镇", after())
        .unwrap()
        .unwrap();
    assert_eq!(found.code, code("500230124"));
    assert_eq!(
        t.child_by_name(code("500103"), "双龙镇", after()).unwrap(),
        None
    );
}

#[test]
fn scope_prefixes_follow_the_moves() {
    let t = tree();
    assert_eq!(t.scope_prefixes(scope("50"), before()), ["50"]);
    assert_eq!(t.scope_prefixes(scope("50"), after()), ["50"]);
    assert_eq!(t.scope_prefixes(scope("500109"), before()), ["500109"]);
    assert_eq!(t.scope_prefixes(scope("500105"), before()), ["500105"]);
    assert!(t.scope_prefixes(scope("500105"), after()).is_empty());
    assert!(t.scope_prefixes(scope("500157"), before()).is_empty());
    assert!(t.scope_prefixes(scope("500199"), after()).is_empty());
    assert_eq!(t.scope_prefixes(scope("500109008"), after()), ["500109008"]);
    assert_eq!(
        t.scope_prefixes(scope("500157"), after()),
        [
            "500105",
            "500109006",
            "500109008",
            "500109009",
            "500109104",
            "500109108",
            "500112000000",
            "500112002",
            "500112004",
            "500112007",
            "500112008",
            "500112009",
            "500112010",
            "500112011",
            "500112012",
            "500112013",
            "500112014",
            "500112015",
            "500112016",
            "500112017",
            "500112018",
            "500112019",
            "500112020",
            "500112021",
            "500112022",
            "500112023",
            "500112129",
            "500112131",
            "500112139",
            "500112141",
            "500112142",
            "500112144",
            "500157",
        ]
    );
    assert_eq!(
        t.scope_prefixes(scope("500109"), after()),
        [
            "500109000000",
            "500109001",
            "500109002",
            "500109003",
            "500109004",
            "500109005",
            "500109007",
            "500109102",
            "500109105",
            "500109110",
            "500109111",
            "500109113",
            "500109116",
            "500112133",
            "500112135",
            "500112138",
            "500112140",
            "500112143",
        ]
    );
}

#[test]
fn is_within_on_both_sides_and_for_abolished_codes() {
    let t = tree();
    let village = code("500105001001");
    assert!(t.is_within(village, scope("500105"), before()));
    assert!(!t.is_within(village, scope("500157"), before()));
    assert!(t.is_within(village, scope("500157"), after()));
    assert!(!t.is_within(village, scope("500105"), after()));
    assert!(t.is_within(village, scope("50"), after()));
    assert!(t.is_within(code("500112135201"), scope("500109"), after()));
    assert!(!t.is_within(code("500112135201"), scope("500109"), before()));
    assert!(t.is_within(code("500112135201"), scope("500112135"), after()));
    // An abolished district's own code now belongs to its successor.
    assert!(t.is_within(code("500105"), scope("500157"), after()));
    assert!(t.is_within(code("500112"), scope("500157"), after()));
    assert!(!t.is_within(code("500112"), scope("500109"), after()));
    assert_eq!(
        t.current_unit(code("500105"), after()).unwrap().name,
        "两江新区"
    );
    assert_eq!(
        t.current_unit(code("500157"), before()).unwrap().name,
        "重庆市"
    );
    assert_eq!(
        t.current_unit(code("500103"), after()).unwrap().name,
        "渝中区"
    );
    // Unknown codes are inside nothing.
    assert!(!t.is_within(code("500199"), scope("50"), after()));
}

/// Inclusive-exclusive u64 ranges of the codes a list of prefixes selects.
fn ranges(prefixes: &[String]) -> Vec<(u64, u64)> {
    prefixes
        .iter()
        .map(|p| {
            let width = 10u64.pow(12 - p.len() as u32);
            let v: u64 = p.parse().unwrap();
            (v * width, (v + 1) * width)
        })
        .collect()
}

/// Every scope of the tree on both sides of the change, through the public `is_within`: the city
/// and district scopes against every code, street scopes against every code of their own
/// county and of the county they sit in on that date, community scopes against their township's
/// codes, and all of them against the moved and abolished codes. (The crate's unit test checks
/// every scope against every code with the internal arrays, which is fast enough in debug.)
#[test]
fn is_within_agrees_with_scope_prefixes_for_every_node() {
    let t = tree();
    let codes: Vec<RegionCode> = t.nodes().iter().map(|n| n.code).collect();
    let special: Vec<RegionCode> = ["500105", "500112", "500157", "500109008", "500112135"]
        .iter()
        .map(|s| code(s))
        .collect();
    let mut by_county: std::collections::HashMap<u64, Vec<RegionCode>> =
        std::collections::HashMap::new();
    for &c in &codes {
        by_county.entry(c.as_u64() / 1_000_000).or_default().push(c);
    }
    // The eve and the first day of the change, and one date well inside each side.
    for date in [day(2025, 11, 5), day(2025, 11, 6)] {
        let mut pairs = 0usize;
        for node in t.nodes() {
            let s = RegionScope::from_code(node.code).unwrap();
            let r = ranges(&t.scope_prefixes(s, date));
            let by_prefix = |c: RegionCode| {
                let v = c.as_u64();
                r.iter().any(|&(a, b)| a <= v && v < b)
            };
            let own_county = node.code.as_u64() / 1_000_000;
            let now_county = t
                .ancestors(node.code, date)
                .ok()
                .and_then(|a| {
                    a.iter()
                        .find(|n| n.level() == RegionLevel::District)
                        .map(|c| c.code.as_u64() / 1_000_000)
                })
                .unwrap_or(own_county);
            let candidates: Vec<RegionCode> = match node.level() {
                RegionLevel::Province | RegionLevel::District => codes.clone(),
                RegionLevel::Subdistrict => {
                    let mut list = by_county[&own_county].clone();
                    if now_county != own_county {
                        list.extend(&by_county[&now_county]);
                    }
                    list.extend(&special);
                    list
                }
                _ => {
                    // The codes of its own township, and of the township it sits in on that date.
                    let own_township = node.code.as_u64() / 1000;
                    let mut list: Vec<RegionCode> = by_county[&own_county]
                        .iter()
                        .copied()
                        .filter(|c| c.as_u64() / 1000 == own_township)
                        .collect();
                    if let Ok(Some(p)) = t.parent(node.code, date) {
                        list.push(p.code);
                        list.extend(t.children(p.code, date).unwrap().iter().map(|n| n.code));
                    }
                    list.extend(&special);
                    list
                }
            };
            for c in candidates {
                assert_eq!(
                    t.is_within(c, s, date),
                    by_prefix(c),
                    "code {c} scope {s} on {date}"
                );
                pairs += 1;
            }
        }
        assert!(pairs > 1_000_000, "{pairs}");
    }
}

#[test]
fn mca_codes_are_aliases_matched_by_county_and_name() {
    let t = tree();
    let r = t.mca_report();
    assert_eq!(r.as_of, day(2025, 12, 31));
    assert_eq!(minzheng_kernel::region::MCA_AS_OF, r.as_of);
    assert_eq!(
        minzheng_kernel::region::CHONGQING_CHANGE_DATE,
        day(2025, 11, 6)
    );
    assert_eq!((r.mca_counties, r.counties_matched), (37, 37));
    assert_eq!((r.mca_townships, r.townships_matched), (1_028, 1_011));
    assert_eq!(r.townships_same_code, 498);
    let unmatched_mca: Vec<String> = r
        .unmatched_mca
        .iter()
        .map(|(c, n, _)| format!("{c} {n}"))
        .collect();
    assert_eq!(
        unmatched_mca,
        [
            "500102128 大木镇",
            "500102129 武陵山镇",
            "500118008 永昌街道",
            "500229118 北屏镇",
            "500229119 龙田镇",
            "500230131 三建镇",
            "500231003 澄溪街道",
            "500231004 桂东街道",
            "500235005 黄石街道",
            "500237200 红椿土家族乡",
            "500237231 邓家土家族乡",
            "500238003 凤凰街道",
            "500240124 金铃镇",
            "500240125 新乐镇",
            "500241128 大溪镇",
            "500242125 宜居镇",
            "500242126 庙溪镇",
        ]
    );
    let unmatched_nbs: Vec<String> = r
        .unmatched_nbs
        .iter()
        .map(|(c, n, _)| format!("{} {n}", c.prefix()))
        .collect();
    assert_eq!(
        unmatched_nbs,
        [
            "500102206 大木乡",
            "500102208 武陵山乡",
            "500229201 龙田乡",
            "500229202 北屏乡",
            "500230210 三建乡",
            "500231109 澄溪镇",
            "500231121 黄沙镇",
            "500231122 长龙镇",
            "500231202 沙河乡",
            "500235121 黄石镇",
            "500237200 红椿乡",
            "500237231 邓家乡",
            "500238101 凤凰镇",
            "500240214 洗新乡",
            "500240217 新乐乡",
            "500240218 金铃乡",
            "500240219 金竹乡",
            "500241208 大溪乡",
            "500242212 宜居乡",
            "500242221 庙溪乡",
        ]
    );

    let mca = |s: &str| McaCode::parse(s).unwrap();
    // 人和街道: NBS 500112009 (渝北区), MCA 500157001 (两江新区).
    assert_eq!(t.mca_alias(code("500112009")), Some(mca("500157001")));
    assert_eq!(t.from_mca(mca("500157001")).unwrap(), code("500112009"));
    // 大湾镇 moved to 北碚区: MCA 500109123.
    assert_eq!(t.from_mca(mca("500109123")).unwrap(), code("500112135"));
    // Same code in both systems.
    assert_eq!(t.mca_alias(code("500103001")), Some(mca("500103001")));
    assert_eq!(t.from_mca(mca("500157")).unwrap(), code("500157"));
    assert_eq!(t.from_mca(mca("500000")).unwrap(), code("50"));
    assert_eq!(t.mca_alias(code("500105")), None);
    assert_eq!(t.mca_alias(code("500102206")), None);
    assert_eq!(t.mca_alias(code("500103001001")), None);
    assert_eq!(
        t.from_mca(mca("500102128")).unwrap_err().to_string(),
        "民政部区划代码 500102128（大木镇）没有对应的统计用区划代码"
    );
    assert_eq!(
        t.from_mca(mca("500199001")).unwrap_err().to_string(),
        "民政部区划代码 500199001 不存在"
    );
    assert!(McaCode::parse("5001570010").is_err());
    assert!(McaCode::parse("500157001").unwrap().is_township());
    assert!(!McaCode::parse("500157").unwrap().is_township());
}

#[test]
fn a_tree_can_be_built_from_other_sources_and_bad_changes_are_refused() {
    let nbs = "level,code,name,parent_code\nprovince,50,重庆市,\ncity,5001,市辖区,50\n\
               county,500101,甲区,5001\ncounty,500102,乙区,5001\n\
               township,500101001,一街道,500101\nvillage,500101001001,一社区居民委员会,500101001\n";
    let mca = "level,code,name,parent_code\nprovince,500000,重庆市,\ncounty,500101,甲区,500000\n";
    let d = day(2030, 1, 1);
    let moves = vec![minzheng_kernel::region::DivisionChange {
        kind: DivisionChangeKind::Transfer,
        date: d,
        affected: vec![code("500101001")],
        to: Some(code("500102")),
        name: None,
        note: "测试".into(),
    }];
    let small = RegionTree::from_sources(nbs, mca, &moves).unwrap();
    assert_eq!(small.nodes().len(), 5);
    assert_eq!(
        small.name_path(code("500101001001"), d).unwrap(),
        "重庆市/乙区/一街道/一社区居民委员会"
    );
    assert_eq!(
        small.scope_prefixes(RegionScope::parse("500102").unwrap(), d),
        ["500101001", "500102"]
    );
    assert_eq!(
        small.scope_prefixes(RegionScope::parse("500101").unwrap(), d),
        ["500101000000"]
    );

    // Abolishing a district whose streets stay under it leaves them without a parent.
    let bad = vec![minzheng_kernel::region::DivisionChange {
        kind: DivisionChangeKind::Abolish,
        date: d,
        affected: vec![code("500101")],
        to: None,
        name: None,
        note: String::new(),
    }];
    let err = RegionTree::from_sources(nbs, mca, &bad).unwrap_err();
    assert!(matches!(err, RegionError::Change { .. }), "{err}");
    assert!(err.to_string().contains("500101001000"), "{err}");
    assert!(
        RegionTree::from_sources("level,code,name,parent_code\nprovince,50\n", mca, &[]).is_err()
    );
}
