//! ID numbers (GB 11643), credit codes (GB 32100) and the historical county table: the worked
//! examples of RULES.md §13 and §11.2, every normalization, every rejection, and properties.

use chrono::NaiveDate;
use minzheng_kernel::county_codes::{self, YearRange};
use minzheng_kernel::credit_code::{
    self, CreditCode, CreditCodeError, CreditCodeWarning, RegistrationAuthority,
};
use minzheng_kernel::id_number::{self, IdNumber, IdNumberError, Normalization, Sex};
use proptest::prelude::*;
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test dates are real")
}

fn today() -> NaiveDate {
    date(2026, 1, 15)
}

fn strict(text: &str) -> Result<IdNumber, IdNumberError> {
    IdNumber::parse_strict(text, today())
}

// ---------------------------------------------------------------- ID numbers

#[test]
fn worked_examples_of_rules_13() {
    assert_eq!(id_number::check_character("11010519491231002"), Some('X'));
    assert_eq!(id_number::check_character("34052419800101001"), Some('X'));
    assert_eq!(id_number::check_character("50010319900101123"), Some('2'));
    assert_eq!(id_number::check_character("44052418800101001"), Some('4'));
    assert_eq!(id_number::check_character("4405241880010100"), None);
    assert_eq!(id_number::check_character("4405241880010100X"), None);

    for text in [
        "11010519491231002X",
        "34052419800101001X",
        "500103199001011232",
    ] {
        assert_eq!(strict(text).map(|id| id.to_string()), Ok(text.to_string()));
    }
    // The fourth example has the right check digit but a birth date before 1900.
    assert_eq!(
        strict("440524188001010014"),
        Err(IdNumberError::BirthDateTooEarly {
            date: date(1880, 1, 1)
        })
    );
}

#[test]
fn derived_fields_of_the_standard_example() {
    let id = strict("11010519491231002X").expect("valid");
    assert_eq!(id.as_str(), "11010519491231002X");
    assert_eq!(id.region_code(), "110105");
    assert_eq!(id.birth_date(), date(1949, 12, 31));
    assert_eq!(id.sequence(), 2);
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(id.sex().label_zh(), "女");
    assert_eq!(id.check_character(), 'X');
    assert_eq!(id.masked(), "110105********002X");
    assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
    assert_eq!(id.county().map(|c| c.latest_name()), Some("朝阳区"));

    let id = strict("500103199001011232").expect("valid");
    assert_eq!(id.sex(), Sex::Male);
    assert_eq!(id.sex().label_zh(), "男");
    assert_eq!(id.sequence(), 123);
    assert_eq!(id.masked(), "500103********1232");
}

#[test]
fn age_in_full_years() {
    let id = strict("500103199001011232").expect("valid");
    assert_eq!(id.age_on(date(1989, 12, 31)), None);
    assert_eq!(id.age_on(date(1990, 1, 1)), Some(0));
    assert_eq!(id.age_on(date(2049, 12, 31)), Some(59)); // the day before the 60th birthday
    assert_eq!(id.age_on(date(2050, 1, 1)), Some(60)); // the birthday itself

    let id = strict("11010519491231002X").expect("valid");
    assert_eq!(id.age_on(date(2019, 12, 30)), Some(69));
    assert_eq!(id.age_on(date(2019, 12, 31)), Some(70));
}

#[test]
fn born_on_29_february_turns_older_on_1_march_in_common_years() {
    let id = IdNumber::generate("500103", date(2000, 2, 29), 1).expect("valid");
    assert_eq!(id.as_str(), "500103200002290013");
    assert_eq!(strict("500103200002290013"), Ok(id));
    assert_eq!(id.age_on(date(2001, 2, 28)), Some(0));
    assert_eq!(id.age_on(date(2001, 3, 1)), Some(1));
    assert_eq!(id.age_on(date(2003, 2, 28)), Some(2));
    assert_eq!(id.age_on(date(2003, 3, 1)), Some(3));
    assert_eq!(id.age_on(date(2004, 2, 28)), Some(3));
    assert_eq!(id.age_on(date(2004, 2, 29)), Some(4)); // leap year: the birthday exists
    assert_eq!(id.age_on(date(2060, 2, 29)), Some(60));
    // 1900 was not a leap year.
    assert_eq!(
        strict("500103190002290010"),
        Err(IdNumberError::BadBirthDate {
            text: "19000229".to_string()
        })
    );
}

#[test]
fn normalizations_are_applied_and_reported() {
    let cases: [(&str, &str, Vec<Normalization>); 7] = [
        ("500103199001011232", "500103199001011232", vec![]),
        (
            "  500103199001011232\t\n",
            "500103199001011232",
            vec![Normalization::TrimmedWhitespace],
        ),
        (
            "\u{a0}11010519491231002X\u{3000}",
            "11010519491231002X",
            vec![Normalization::TrimmedWhitespace],
        ),
        (
            "\u{feff}11010519491231002X\u{200b}",
            "11010519491231002X",
            vec![Normalization::TrimmedWhitespace],
        ),
        (
            "11010519491231002x",
            "11010519491231002X",
            vec![Normalization::Uppercased],
        ),
        (
            "５００１０３１９９００１０１１２３２",
            "500103199001011232",
            vec![Normalization::FullWidthToAscii],
        ),
        (
            "\u{3000}１１０１０５１９４９１２３１００２ｘ ",
            "11010519491231002X",
            vec![
                Normalization::TrimmedWhitespace,
                Normalization::FullWidthToAscii,
                Normalization::Uppercased,
            ],
        ),
    ];
    for (input, canonical, normalizations) in cases {
        let parsed = IdNumber::parse(input, today()).expect(input);
        assert_eq!(parsed.id_number.as_str(), canonical, "{input:?}");
        assert_eq!(parsed.normalizations, normalizations, "{input:?}");
        assert!(!parsed.converted_from_15());
    }
    assert_eq!(
        Normalization::TrimmedWhitespace.to_string(),
        "去掉了首尾空白"
    );
    assert_eq!(
        Normalization::FullWidthToAscii.to_string(),
        "全角字符已转为半角"
    );
    assert_eq!(Normalization::Uppercased.to_string(), "小写字母已转为大写");
    assert_eq!(
        Normalization::ConvertedFrom15.to_string(),
        "15 位旧号码已升级为 18 位"
    );
}

#[test]
fn strict_parse_accepts_only_the_canonical_form() {
    assert_eq!(
        strict("11010519491231002x"),
        Err(IdNumberError::BadCharacter {
            position: 18,
            character: 'x'
        })
    );
    assert_eq!(
        strict(" 500103199001011232"),
        Err(IdNumberError::WrongLength { length: 19 })
    );
    assert_eq!(
        strict("５00103199001011232"),
        Err(IdNumberError::BadCharacter {
            position: 1,
            character: '５'
        })
    );
    assert_eq!(
        strict("110105491231002"),
        Err(IdNumberError::WrongLength { length: 15 })
    );
}

#[test]
fn fifteen_digit_numbers_are_upgraded_and_flagged() {
    let parsed = IdNumber::parse("110105491231002", today()).expect("valid");
    assert_eq!(parsed.id_number.as_str(), "11010519491231002X");
    assert_eq!(parsed.normalizations, vec![Normalization::ConvertedFrom15]);
    assert!(parsed.converted_from_15());

    let parsed = IdNumber::parse(" 340524800101001\u{3000}", today()).expect("valid");
    assert_eq!(parsed.id_number.as_str(), "34052419800101001X");
    assert_eq!(
        parsed.normalizations,
        vec![
            Normalization::TrimmedWhitespace,
            Normalization::ConvertedFrom15
        ]
    );

    let parsed = IdNumber::parse("510202900101123", today()).expect("valid");
    assert_eq!(parsed.id_number.as_str(), "510202199001011233");
    assert_eq!(parsed.id_number.birth_date(), date(1990, 1, 1));

    assert_eq!(
        IdNumber::parse("11010549123100A", today()),
        Err(IdNumberError::BadCharacter {
            position: 15,
            character: 'A'
        })
    );
    assert_eq!(
        IdNumber::parse("110105490231002", today()),
        Err(IdNumberError::BadBirthDate {
            text: "19490231".to_string()
        })
    );
    assert_eq!(
        IdNumber::parse("990105491231002", today()),
        Err(IdNumberError::BadProvince {
            prefix: "99".to_string()
        })
    );
}

#[test]
fn each_rejection_has_its_variant_and_message() {
    let cases: [(&str, IdNumberError, &str); 11] = [
        ("", IdNumberError::Empty, "身份证号码为空"),
        (" \u{3000}\u{a0}", IdNumberError::Empty, "身份证号码为空"),
        (
            "50010319900101123",
            IdNumberError::WrongLength { length: 17 },
            "身份证号码应为 18 位，实为 17 位",
        ),
        (
            "5001031990010112321",
            IdNumberError::WrongLength { length: 19 },
            "身份证号码应为 18 位，实为 19 位",
        ),
        (
            "500103199O01011232",
            IdNumberError::BadCharacter {
                position: 10,
                character: 'O',
            },
            "身份证号码第 10 位“O”无效：前 17 位应为数字，第 18 位为数字或 X",
        ),
        (
            "50010319900101123Y",
            IdNumberError::BadCharacter {
                position: 18,
                character: 'Y',
            },
            "身份证号码第 18 位“Y”无效：前 17 位应为数字，第 18 位为数字或 X",
        ),
        (
            "600103199001011232",
            IdNumberError::BadProvince {
                prefix: "60".to_string(),
            },
            "身份证号码前两位 60 不是有效的省级行政区划代码",
        ),
        (
            "500103199013011232",
            IdNumberError::BadBirthDate {
                text: "19901301".to_string(),
            },
            "身份证号码中的出生日期 19901301 不是有效日期",
        ),
        (
            "500103189912311232",
            IdNumberError::BirthDateTooEarly {
                date: date(1899, 12, 31),
            },
            "身份证号码中的出生日期 1899-12-31 早于 1900-01-01",
        ),
        (
            "500103199001011233",
            IdNumberError::BadCheckDigit {
                expected: '2',
                found: '3',
            },
            "身份证号码校验位错误：应为 2，实为 3",
        ),
        (
            "110105194912310023",
            IdNumberError::BadCheckDigit {
                expected: 'X',
                found: '3',
            },
            "身份证号码校验位错误：应为 X，实为 3",
        ),
    ];
    for (input, error, message) in cases {
        let result = IdNumber::parse(input, today());
        assert_eq!(result, Err(error.clone()), "{input:?}");
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn birth_date_is_checked_against_the_callers_today() {
    let id = IdNumber::generate("500103", date(2026, 1, 15), 2).expect("valid");
    assert_eq!(id.as_str(), "50010320260115002X");
    assert_eq!(strict(id.as_str()), Ok(id)); // born today: fine
    assert_eq!(
        IdNumber::parse_strict(id.as_str(), date(2026, 1, 14)),
        Err(IdNumberError::BirthDateInFuture {
            date: date(2026, 1, 15),
            today: date(2026, 1, 14),
        })
    );
    assert_eq!(
        IdNumberError::BirthDateInFuture {
            date: date(2026, 1, 15),
            today: date(2026, 1, 14),
        }
        .to_string(),
        "身份证号码中的出生日期 2026-01-15 晚于今天 2026-01-14"
    );
    assert_eq!(
        strict("50010319000101001X").map(|id| id.birth_date()),
        Ok(date(1900, 1, 1))
    );
}

#[test]
fn old_and_unknown_county_codes_are_reported_not_rejected() {
    // 510202: Chongqing's 市中区 before 1994, 渝中区 1994–1996, then 500103.
    let parsed = IdNumber::parse("510202199001011233", today()).expect("valid");
    let county = parsed.county.expect("in the table");
    assert_eq!(county.code, "510202");
    assert_eq!(county.name_in_year(1990), Some("市中区"));
    assert_eq!(county.latest_name(), "渝中区");
    assert_eq!((county.first_year(), county.last_year()), (1980, 1996));
    assert!(!county.is_current());

    // 500199 was never a county code: still a valid number.
    let id = IdNumber::generate("500199", date(1990, 1, 1), 123).expect("valid");
    let parsed = IdNumber::parse(id.as_str(), today()).expect("valid");
    assert_eq!(parsed.county, None);
    assert!(parsed.normalizations.is_empty());

    // Hong Kong residence permit.
    let id = IdNumber::generate("810000", date(1990, 1, 1), 123).expect("valid");
    assert_eq!(strict(id.as_str()), Ok(id));
    assert_eq!(id.county(), None);
}

#[test]
fn every_province_prefix_of_the_brief_is_accepted_and_no_other() {
    let accepted: Vec<u32> = (0..100)
        .filter(|p| IdNumber::generate(&format!("{p:02}0000"), date(1990, 1, 1), 1).is_ok())
        .collect();
    let prefixes: Vec<u32> = (0..100)
        .filter(|p| county_codes::is_province_prefix(&format!("{p:02}")))
        .collect();
    assert_eq!(accepted, prefixes);
    assert_eq!(
        accepted,
        vec![
            11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
            51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83
        ]
    );
}

#[test]
fn generator_is_deterministic_and_checks_its_inputs() {
    let id = IdNumber::generate("500103", date(1990, 1, 1), 123).expect("valid");
    assert_eq!(id.as_str(), "500103199001011232");
    assert_eq!(IdNumber::generate("500103", date(1990, 1, 1), 123), Ok(id));
    let sexes: Vec<Sex> = [0u16, 1, 2, 998, 999]
        .into_iter()
        .map(|s| {
            IdNumber::generate("500103", date(1990, 1, 1), s)
                .expect("valid")
                .sex()
        })
        .collect();
    assert_eq!(
        sexes,
        vec![Sex::Female, Sex::Male, Sex::Female, Sex::Female, Sex::Male]
    );
    assert_eq!(
        IdNumber::generate("5001", date(1990, 1, 1), 1),
        Err(IdNumberError::BadRegionCode {
            region: "5001".to_string()
        })
    );
    assert_eq!(
        IdNumber::generate("600103", date(1990, 1, 1), 1),
        Err(IdNumberError::BadProvince {
            prefix: "60".to_string()
        })
    );
    assert_eq!(
        IdNumber::generate("500103", date(1990, 1, 1), 1000),
        Err(IdNumberError::BadSequence { sequence: 1000 })
    );
    assert_eq!(
        IdNumber::generate("500103", date(1899, 12, 31), 1),
        Err(IdNumberError::BirthDateTooEarly {
            date: date(1899, 12, 31)
        })
    );
}

#[test]
fn serde_is_strict() {
    let de: StrDeserializer<'_, ValueError> = "500103199001011232".into_deserializer();
    assert_eq!(
        IdNumber::deserialize(de).map(|id| id.to_string()),
        Ok("500103199001011232".to_string())
    );
    let de: StrDeserializer<'_, ValueError> = "11010519491231002x".into_deserializer();
    assert_eq!(
        IdNumber::deserialize(de).map_err(|e| e.to_string()),
        Err("身份证号码第 18 位“x”无效：前 17 位应为数字，第 18 位为数字或 X".to_string())
    );

    let de: StrDeserializer<'_, ValueError> = "91350100M000100Y43".into_deserializer();
    assert_eq!(
        CreditCode::deserialize(de).map(|c| c.to_string()),
        Ok("91350100M000100Y43".to_string())
    );
    let de: StrDeserializer<'_, ValueError> = "91350100m000100y43".into_deserializer();
    assert!(CreditCode::deserialize(de).is_err());
}

#[test]
fn china_today_is_a_plausible_date() {
    assert!(id_number::china_today() > date(2025, 1, 1));
}

// ---------------------------------------------------------------- credit codes

#[test]
fn worked_example_of_rules_11_2() {
    assert_eq!(credit_code::check_character("91350100M000100Y4"), Some('3'));
    assert_eq!(credit_code::check_character("91350100M000100I4"), None);
    let parsed = CreditCode::parse("91350100M000100Y43").expect("valid");
    let code = parsed.credit_code;
    assert!(parsed.normalizations.is_empty());
    assert!(parsed.warnings.is_empty());
    assert_eq!(code.as_str(), "91350100M000100Y43");
    assert_eq!(
        code.registration_authority(),
        RegistrationAuthority::MarketRegulation
    );
    assert_eq!(code.registration_authority().name_zh(), "工商");
    assert_eq!(code.organization_type().code(), '1');
    assert_eq!(code.organization_type().name_zh(), "企业");
    assert_eq!(code.region_code(), "350100");
    assert!(!code.is_national());
    assert_eq!(code.organization_code(), "M000100Y4");
    assert_eq!(code.check_character(), '3');
    assert_eq!(format!("{code:?}"), "CreditCode(91350100M000100Y43)");
    assert_eq!("91350100M000100Y43".parse::<CreditCode>(), Ok(code));
}

#[test]
fn civil_affairs_codes() {
    let code = CreditCode::generate(
        RegistrationAuthority::CivilAffairs,
        '1',
        "500103",
        "MJ000001",
    )
    .expect("valid");
    assert_eq!(code.as_str(), "51500103MJ00000187");
    assert_eq!(code.registration_authority().name_zh(), "民政");
    assert_eq!(code.registration_authority().code(), '5');
    assert_eq!(code.organization_type().name_zh(), "社会团体");
    assert_eq!(code.organization_code(), "MJ0000018");
    assert!(code.warnings().is_empty());

    let code = CreditCode::generate(
        RegistrationAuthority::CivilAffairs,
        '2',
        "500112",
        "00000000",
    )
    .expect("valid");
    assert_eq!(code.as_str(), "52500112000000000P");
    assert_eq!(code.organization_type().name_zh(), "民办非企业单位");

    // National registry (民政部): region 100000.
    let code = CreditCode::generate(
        RegistrationAuthority::CivilAffairs,
        '3',
        "100000",
        "50002167",
    )
    .expect("valid");
    assert_eq!(code.as_str(), "53100000500021676K");
    assert_eq!(code.organization_type().name_zh(), "基金会");
    assert!(code.is_national());
    assert_eq!(CreditCode::parse_strict("53100000500021676K"), Ok(code));
}

#[test]
fn credit_code_normalizations() {
    let parsed =
        CreditCode::parse("\u{3000}９１３５０１００ｍ０００１００ｙ４３\u{a0}").expect("valid");
    assert_eq!(parsed.credit_code.as_str(), "91350100M000100Y43");
    assert_eq!(
        parsed.normalizations,
        vec![
            Normalization::TrimmedWhitespace,
            Normalization::FullWidthToAscii,
            Normalization::Uppercased
        ]
    );
    let parsed = CreditCode::parse("91350100m000100y43").expect("valid");
    assert_eq!(parsed.normalizations, vec![Normalization::Uppercased]);
    assert_eq!(
        CreditCode::parse_strict("91350100m000100y43"),
        Err(CreditCodeError::BadCharacter {
            position: 9,
            character: 'm'
        })
    );
    assert_eq!(
        CreditCode::parse_strict(" 91350100M000100Y43"),
        Err(CreditCodeError::WrongLength { length: 19 })
    );
}

#[test]
fn credit_code_rejections() {
    let cases: [(&str, CreditCodeError, &str); 10] = [
        ("", CreditCodeError::Empty, "统一社会信用代码为空"),
        (
            "91350100M000100Y4",
            CreditCodeError::WrongLength { length: 17 },
            "统一社会信用代码应为 18 位，实为 17 位",
        ),
        (
            "91350100M000100I43",
            CreditCodeError::BadCharacter {
                position: 16,
                character: 'I',
            },
            "统一社会信用代码第 16 位“I”无效：第 3–8 位应为数字，其余为数字或大写字母（不含 I、O、S、V、Z）",
        ),
        (
            "9135010AM000100Y43",
            CreditCodeError::BadCharacter {
                position: 8,
                character: 'A',
            },
            "统一社会信用代码第 8 位“A”无效：第 3–8 位应为数字，其余为数字或大写字母（不含 I、O、S、V、Z）",
        ),
        (
            "91350100M000100Y4-",
            CreditCodeError::BadCharacter {
                position: 18,
                character: '-',
            },
            "统一社会信用代码第 18 位“-”无效：第 3–8 位应为数字，其余为数字或大写字母（不含 I、O、S、V、Z）",
        ),
        (
            "B1350100M000100Y43",
            CreditCodeError::BadRegistrationAuthority { character: 'B' },
            "统一社会信用代码第 1 位登记管理部门代码“B”不存在",
        ),
        (
            "94350100M000100Y43",
            CreditCodeError::BadOrganizationType {
                authority: RegistrationAuthority::MarketRegulation,
                character: '4',
            },
            "统一社会信用代码第 2 位机构类别代码“4”不属于登记管理部门“工商”",
        ),
        (
            "54500103MJ00000187",
            CreditCodeError::BadOrganizationType {
                authority: RegistrationAuthority::CivilAffairs,
                character: '4',
            },
            "统一社会信用代码第 2 位机构类别代码“4”不属于登记管理部门“民政”",
        ),
        (
            "91600100M000100Y43",
            CreditCodeError::BadProvince {
                prefix: "60".to_string(),
            },
            "统一社会信用代码第 3–4 位 60 不是有效的省级行政区划代码",
        ),
        (
            "91350100M000100Y44",
            CreditCodeError::BadCheckCharacter {
                expected: '3',
                found: '4',
            },
            "统一社会信用代码校验码错误：应为 3，实为 4",
        ),
    ];
    for (input, error, message) in cases {
        assert_eq!(CreditCode::parse(input), Err(error.clone()), "{input:?}");
        assert_eq!(error.to_string(), message);
    }
    // 100001 is neither a province nor the national code.
    let first17 = "51100001MJ0000018";
    let check = credit_code::check_character(first17).expect("alphabet");
    assert_eq!(
        CreditCode::parse(&format!("{first17}{check}")),
        Err(CreditCodeError::BadProvince {
            prefix: "10".to_string()
        })
    );
}

#[test]
fn a_failing_organization_code_check_is_only_a_warning() {
    let parsed = CreditCode::parse("91350100M000100Y56").expect("valid");
    let warning = CreditCodeWarning::OrganizationCodeCheck {
        expected: '4',
        found: '5',
    };
    assert_eq!(parsed.warnings, vec![warning.clone()]);
    assert_eq!(parsed.credit_code.warnings(), vec![warning.clone()]);
    assert_eq!(
        warning.to_string(),
        "统一社会信用代码中的组织机构代码校验码不符：应为 4，实为 5（代码本身有效，仅作提示）"
    );
}

#[test]
fn table_1_pairs_exactly() {
    let table = [
        ('1', "1239"),
        ('2', "19"),
        ('3', "123459"),
        ('4', "19"),
        ('5', "1239"),
        ('6', "129"),
        ('7', "129"),
        ('8', "19"),
        ('9', "123"),
        ('A', "19"),
        ('N', "1239"),
        ('Y', "1"),
    ];
    for authority in credit_code::ALPHABET.chars() {
        for type_code in credit_code::ALPHABET.chars() {
            let first17 = format!("{authority}{type_code}500103MJ0000018");
            let check = credit_code::check_character(&first17).expect("alphabet");
            let result = CreditCode::parse_strict(&format!("{first17}{check}"));
            let listed = table.iter().find(|(a, _)| *a == authority);
            match listed {
                Some((_, types)) if types.contains(type_code) => {
                    let code = result.expect("listed pair is valid");
                    assert_eq!(code.registration_authority().code(), authority);
                    assert_eq!(code.organization_type().code(), type_code);
                }
                Some(_) => assert!(
                    matches!(result, Err(CreditCodeError::BadOrganizationType { .. })),
                    "{authority}{type_code}"
                ),
                None => assert_eq!(
                    result,
                    Err(CreditCodeError::BadRegistrationAuthority {
                        character: authority
                    })
                ),
            }
        }
    }
    let names: Vec<&str> = RegistrationAuthority::ALL
        .iter()
        .map(|a| a.name_zh())
        .collect();
    assert_eq!(
        names,
        vec![
            "机构编制",
            "外交",
            "司法行政",
            "文化",
            "民政",
            "旅游",
            "宗教",
            "工会",
            "工商",
            "中央军委改革和编制办公室",
            "农业",
            "其他"
        ]
    );
}

#[test]
fn credit_generator_checks_its_inputs() {
    assert_eq!(
        CreditCode::generate(
            RegistrationAuthority::CivilAffairs,
            '4',
            "500103",
            "MJ000001"
        ),
        Err(CreditCodeError::BadOrganizationType {
            authority: RegistrationAuthority::CivilAffairs,
            character: '4'
        })
    );
    assert_eq!(
        CreditCode::generate(
            RegistrationAuthority::CivilAffairs,
            '1',
            "50010",
            "MJ000001"
        ),
        Err(CreditCodeError::BadRegionCode {
            region: "50010".to_string()
        })
    );
    assert_eq!(
        CreditCode::generate(
            RegistrationAuthority::CivilAffairs,
            '1',
            "600103",
            "MJ000001"
        ),
        Err(CreditCodeError::BadProvince {
            prefix: "60".to_string()
        })
    );
    assert_eq!(
        CreditCode::generate(
            RegistrationAuthority::CivilAffairs,
            '1',
            "500103",
            "MI000001"
        ),
        Err(CreditCodeError::BadOrganizationBody {
            body: "MI000001".to_string()
        })
    );
}

/// Why the caller must say what a string is: some 18-digit strings are both a valid ID number and
/// a valid credit code.
#[test]
fn some_strings_pass_both_checks() {
    let both: Vec<String> = (0..1000u16)
        .filter_map(|sequence| {
            let id = IdNumber::generate("511302", date(1990, 1, 1), sequence).ok()?;
            CreditCode::parse_strict(id.as_str()).ok()?;
            Some(id.to_string())
        })
        .collect();
    assert!(!both.is_empty());
    assert!(both.iter().all(|text| text.starts_with("511302")));
}

// ---------------------------------------------------------------- county table

#[test]
fn county_table_lookups() {
    let yuzhong = county_codes::lookup("500103").expect("渝中区");
    assert_eq!(yuzhong.latest_name(), "渝中区");
    assert_eq!((yuzhong.first_year(), yuzhong.last_year()), (1997, 2024));
    assert!(yuzhong.is_current());
    assert!(yuzhong.in_force_on(date(2030, 1, 1)));
    assert!(!yuzhong.in_force_on(date(1996, 12, 31)));

    let wanzhou = county_codes::lookup("500101").expect("万州区");
    let names: Vec<(&str, u16, u16)> = wanzhou
        .names
        .iter()
        .map(|n| (n.name, n.first_year, n.last_year))
        .collect();
    assert_eq!(names, vec![("万县区", 1997, 1997), ("万州区", 1998, 2024)]);
    assert_eq!(wanzhou.name_in_year(1997), Some("万县区"));
    assert_eq!(wanzhou.name_in_year(2000), Some("万州区"));
    assert_eq!(wanzhou.name_in_year(1996), None);

    let jingxing = county_codes::lookup("130107").expect("井陉矿区");
    assert_eq!(
        jingxing.names[0].years_present,
        vec![
            YearRange {
                first: 1980,
                last: 1988
            },
            YearRange {
                first: 1992,
                last: 2024
            }
        ]
    );
    assert!(!jingxing.in_force_in_year(1990));
    assert!(jingxing.in_force_in_year(1992));

    assert_eq!(county_codes::lookup("999999"), None);
    assert_eq!(county_codes::lookup("5001"), None);
    assert_eq!(county_codes::entries().len(), 6_197);
}

#[test]
fn chongqing_change_of_2025_11_06() {
    for (code, name) in [("500105", "江北区"), ("500112", "渝北区")] {
        let entry = county_codes::lookup(code).expect(name);
        assert_eq!(entry.latest_name(), name);
        assert_eq!(entry.last_year(), 2025);
        assert_eq!(entry.abolished_on, Some(date(2025, 11, 6)));
        assert!(!entry.is_current());
        assert!(entry.in_force_on(date(2025, 11, 5)));
        assert!(!entry.in_force_on(date(2025, 11, 6)));
    }
    let liangjiang = county_codes::lookup("500157").expect("两江新区");
    assert_eq!(liangjiang.latest_name(), "两江新区");
    assert_eq!(liangjiang.created_on, Some(date(2025, 11, 6)));
    assert_eq!(
        (liangjiang.first_year(), liangjiang.last_year()),
        (2025, 2025)
    );
    assert!(liangjiang.is_current());
    assert!(!liangjiang.in_force_on(date(2025, 11, 5)));
    assert!(liangjiang.in_force_on(date(2025, 11, 6)));
    assert!(liangjiang.in_force_on(date(2026, 6, 1)));

    // A number issued under the abolished 江北区 code stays valid.
    let id = IdNumber::generate("500105", date(1990, 1, 1), 1).expect("valid");
    let parsed = IdNumber::parse(id.as_str(), today()).expect("valid");
    assert_eq!(parsed.county.map(|c| c.code), Some("500105"));
}

#[test]
fn province_names() {
    assert_eq!(county_codes::province_name("500103"), Some("重庆市"));
    assert_eq!(county_codes::province_name("50"), Some("重庆市"));
    assert_eq!(
        county_codes::province_name("810000"),
        Some("香港特别行政区")
    );
    assert_eq!(county_codes::province_name("10"), None);
    assert_eq!(county_codes::province_name("5"), None);
    assert_eq!(county_codes::province_name(""), None);
}

// ---------------------------------------------------------------- properties

const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

fn any_region() -> impl Strategy<Value = String> {
    (prop::sample::select(PROVINCES.to_vec()), 0u32..10_000)
        .prop_map(|(province, rest)| format!("{province}{rest:04}"))
}

fn any_birth() -> impl Strategy<Value = NaiveDate> {
    let first = date(1900, 1, 1);
    let days = (today() - first).num_days();
    (0..=days).prop_map(move |d| first + chrono::TimeDelta::days(d))
}

fn any_credit_code() -> impl Strategy<Value = CreditCode> {
    let pairs: Vec<(RegistrationAuthority, char)> = RegistrationAuthority::ALL
        .iter()
        .flat_map(|a| a.type_codes().iter().map(move |t| (*a, *t)))
        .collect();
    (
        prop::sample::select(pairs),
        prop_oneof![any_region(), Just("100000".to_string())],
        "[0-9A-HJ-NPQRTUWXY]{8}",
    )
        .prop_map(|((authority, type_code), region, body)| {
            CreditCode::generate(authority, type_code, &region, &body).expect("valid parts")
        })
}

/// Replaces the character at `index` (ASCII text) with `replacement`.
fn replaced(text: &str, index: usize, replacement: char) -> String {
    let mut out: String = text[..index].to_string();
    out.push(replacement);
    out.push_str(&text[index + 1..]);
    out
}

proptest! {
    #[test]
    fn generated_id_numbers_validate(region in any_region(), birth in any_birth(), sequence in 0u16..=999) {
        let id = IdNumber::generate(&region, birth, sequence).expect("valid parts");
        prop_assert_eq!(IdNumber::parse_strict(id.as_str(), today()), Ok(id));
        let parsed = IdNumber::parse(id.as_str(), today()).expect("valid");
        prop_assert_eq!(parsed.id_number, id);
        prop_assert!(parsed.normalizations.is_empty());
        prop_assert_eq!(id.region_code(), region.as_str());
        prop_assert_eq!(id.birth_date(), birth);
        prop_assert_eq!(id.sequence(), sequence);
        prop_assert_eq!(id.sex() == Sex::Male, sequence % 2 == 1);
        prop_assert_eq!(id.masked().len(), 18);
    }

    #[test]
    fn changing_one_character_of_an_id_number_never_validates(
        region in any_region(),
        birth in any_birth(),
        sequence in 0u16..=999,
        index in 0usize..18,
        replacement in prop::sample::select("0123456789X".chars().collect::<Vec<_>>()),
    ) {
        let id = IdNumber::generate(&region, birth, sequence).expect("valid parts");
        let original = id.as_str().as_bytes()[index] as char;
        prop_assume!(replacement != original);
        let changed = replaced(id.as_str(), index, replacement);
        prop_assert!(IdNumber::parse_strict(&changed, today()).is_err(), "{}", changed);
        prop_assert!(IdNumber::parse(&changed, today()).is_err(), "{}", changed);
    }

    #[test]
    fn strict_id_parse_rejects_any_other_character(
        region in any_region(),
        birth in any_birth(),
        sequence in 0u16..=999,
        index in 0usize..18,
        replacement in any::<char>(),
    ) {
        let id = IdNumber::generate(&region, birth, sequence).expect("valid parts");
        let original = id.as_str().as_bytes()[index] as char;
        prop_assume!(replacement != original);
        let changed = replaced(id.as_str(), index, replacement);
        prop_assert!(IdNumber::parse_strict(&changed, today()).is_err(), "{}", changed);
    }

    #[test]
    fn generated_credit_codes_validate_without_warnings(code in any_credit_code()) {
        let parsed = CreditCode::parse(code.as_str()).expect("valid");
        prop_assert_eq!(parsed.credit_code, code);
        prop_assert!(parsed.normalizations.is_empty());
        prop_assert!(parsed.warnings.is_empty());
        prop_assert_eq!(CreditCode::parse_strict(&code.as_str().to_lowercase()).is_err(), code.as_str().chars().any(|c| c.is_ascii_uppercase()));
        let lenient = CreditCode::parse(&code.as_str().to_lowercase()).expect("valid");
        prop_assert_eq!(lenient.credit_code, code);
    }

    /// MOD 31 has a prime modulus and weights 3^i mod 31 that are never 0, so a single changed
    /// character always changes the sum mod 31.
    #[test]
    fn changing_one_character_of_a_credit_code_never_validates(
        code in any_credit_code(),
        index in 0usize..18,
        replacement in prop::sample::select(credit_code::ALPHABET.chars().collect::<Vec<_>>()),
    ) {
        let original = code.as_str().as_bytes()[index] as char;
        prop_assume!(replacement != original);
        let changed = replaced(code.as_str(), index, replacement);
        prop_assert!(CreditCode::parse_strict(&changed).is_err(), "{}", changed);
        prop_assert!(CreditCode::parse(&changed).is_err(), "{}", changed);
    }
}

/// The property above, exhaustively for the check arithmetic alone: for every position and every
/// pair of distinct symbols, the weighted difference is not 0 mod 31 (and not 0 mod 11 for IDs).
#[test]
fn single_substitutions_always_change_the_checksums() {
    let mod31_weights: Vec<u32> = (0..17).map(|i| 3u32.pow(i) % 31).collect();
    for w in &mod31_weights {
        for a in 0..31u32 {
            for b in 0..31u32 {
                if a != b {
                    assert_ne!((w * a + 31 * 31 - w * b) % 31, 0);
                }
            }
        }
    }
    let mod11_weights: Vec<u32> = (0..17).map(|i| 2u32.pow(17 - i) % 11).collect();
    for w in &mod11_weights {
        for a in 0..10u32 {
            for b in 0..10u32 {
                if a != b {
                    assert_ne!((w * a + 11 * 11 - w * b) % 11, 0);
                }
            }
        }
    }
}
