//! This area's part of the demo data set: 240 households in 七星岗街道 (渝中区) and 小龙坎街道
//! (沙坪坝区) with members and incomes, and applications in every state of the procedure, all
//! made through the services (so every row has its events, notifications and audit rows).

use crate::AssistanceError;
use crate::cases::{self, MeansCheckInput, NewApplication, VisitInput};
use crate::households::{self, NewHousehold, NewIncome, NewMember};
use crate::referrals::{self, NewReferral};
use crate::rules::State;
use chrono::{Datelike, Duration, NaiveDate};
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::audit::AuditContext;
use minzheng_store::{Tx, params};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "桂兰", "志强", "德明", "丽华", "小红", "海燕", "文军", "玉梅", "永福", "淑珍",
    "家豪", "思雨", "子涵", "俊杰",
];

struct District {
    street: Principal,
    reviewer: Principal,
    communities: &'static [&'static str],
    panel: Vec<Principal>,
    region6: &'static str,
}

fn principal(tx: &mut Tx<'_>, username: &str) -> Result<Option<Principal>, AssistanceError> {
    let r = tx.query_opt(
        "SELECT id, display_name, role, scope FROM account WHERE username = $1",
        params![username],
    )?;
    let Some(r) = r else { return Ok(None) };
    let role_id: String = r.get(2)?;
    let role = Role::ALL
        .into_iter()
        .find(|x| x.id() == role_id)
        .unwrap_or(Role::Citizen);
    Ok(Some(Principal {
        account_id: r.get(0)?,
        username: username.to_owned(),
        display_name: r.get(1)?,
        role,
        scope_code: r.get(3)?,
        unit_id: None,
        address: None,
        request_id: None,
    }))
}

/// The appraisal panel of the demo: every demo staff account that may vote (the demo has no
/// separate panel accounts, so that other areas' account counts stay as they are).
fn panel(tx: &mut Tx<'_>) -> Result<Vec<Principal>, AssistanceError> {
    let mut out = Vec::new();
    for u in [
        "yuzhong-community",
        "yuzhong-street",
        "yuzhong-reviewer",
        "shapingba-community",
        "shapingba-street",
        "shapingba-reviewer",
    ] {
        if let Some(p) = principal(tx, u)? {
            out.push(p);
        }
    }
    Ok(out)
}

/// The order in which targets are spread over the households.
const TARGETS: [State; 13] = [
    State::Approved,
    State::Review,
    State::Notice,
    State::Submitted,
    State::Accepted,
    State::MeansChecked,
    State::Visited,
    State::Appraisal,
    State::Refused,
    State::Supplement,
    State::Renotice,
    State::Reinvestigation,
    State::Withdrawn,
];

fn name(i: usize, j: usize) -> String {
    format!(
        "{}{}",
        SURNAMES[(i * 7 + j) % SURNAMES.len()],
        GIVEN[(i * 5 + j * 3) % GIVEN.len()]
    )
}

/// Adds this area's demo records inside the demo transaction; returns one line for the report.
pub fn seed(tx: &mut Tx<'_>, today: NaiveDate) -> Result<String, AssistanceError> {
    let (Some(yz_street), Some(yz_rev), Some(spb_street), Some(spb_rev)) = (
        principal(tx, "yuzhong-street")?,
        principal(tx, "yuzhong-reviewer")?,
        principal(tx, "shapingba-street")?,
        principal(tx, "shapingba-reviewer")?,
    ) else {
        return Ok("社会救助：未找到演示账户，未生成数据".into());
    };
    let districts = [
        District {
            street: yz_street,
            reviewer: yz_rev,
            communities: &[
                "500103001003",
                "500103001006",
                "500103001011",
                "500103001013",
                "500103001014",
                "500103001015",
            ],
            panel: panel(tx)?,
            region6: "500103",
        },
        District {
            street: spb_street,
            reviewer: spb_rev,
            communities: &[
                "500106001001",
                "500106001004",
                "500106001005",
                "500106001007",
            ],
            panel: panel(tx)?,
            region6: "500106",
        },
    ];
    let public = AuditContext::system("demo-public");
    let mut households_n = 0;
    let mut cases_n = 0;
    let last_month = (today.with_day(1).unwrap_or(today) - Duration::days(1))
        .format("%Y-%m")
        .to_string();
    for i in 0..240usize {
        let dist = &districts[i % 2];
        let street = &dist.street;
        let region = dist.communities[(i / 2) % dist.communities.len()];
        let hh = households::create_household(
            tx,
            street,
            &NewHousehold {
                region_code: region.into(),
                address: format!(
                    "{}号{}单元{}-{}",
                    10 + i % 90,
                    1 + i % 4,
                    1 + i % 30,
                    1 + i % 6
                ),
            },
        )?;
        households_n += 1;
        let size = 1 + i % 4;
        let mut head = 0;
        for j in 0..size {
            let birth = if j == 0 {
                NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or(today)
                    + Duration::days((i * 97 % 15_000) as i64)
            } else if j == 1 {
                NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or(today)
                    + Duration::days((i * 89 % 12_000) as i64)
            } else {
                NaiveDate::from_ymd_opt(2008, 1, 1).unwrap_or(today)
                    + Duration::days(((i * 61 + j * 400) % 4_000) as i64)
            };
            let seq = ((i * 4 + j) % 1000) as u16;
            let id = IdNumber::generate(dist.region6, birth, seq)
                .map_err(|e| AssistanceError::Internal(e.to_string()))?;
            let added = households::add_member(
                tx,
                street,
                hh,
                &NewMember {
                    id_number: id.as_str().to_owned(),
                    name: name(i, j),
                    relation: ["head", "spouse", "child", "child"][j].into(),
                    co_resident: true,
                    exclusion: "none".into(),
                    exclusion_since: None,
                    separate_household: false,
                    disability_grade: if (i + j) % 9 == 0 {
                        Some(((i % 4) + 1) as u8)
                    } else {
                        None
                    },
                    serious_illness: (i + j) % 11 == 0,
                    student: j >= 2 && i % 2 == 0,
                },
                today,
            )?;
            if j == 0 {
                head = added.person_id;
            }
        }
        households::add_income(
            tx,
            street,
            hh,
            &NewIncome {
                person_id: Some(head),
                kind: "wage".into(),
                month: last_month.clone(),
                amount: format!("{}", (i * 37) % 900),
                note: String::new(),
            },
            today,
        )?;
        if i >= 13 * 15 {
            continue;
        }
        let target = TARGETS[i % 13];
        let program = if i % 7 == 3 && !matches!(target, State::Appraisal) {
            "temporary_assistance"
        } else if i % 5 == 2 {
            "tekun"
        } else {
            "dibao"
        };
        let back = match target {
            State::Notice => 8,
            State::Renotice => 10,
            State::Reinvestigation => 10,
            State::Review => 15 + (i % 20) as i64,
            State::Approved | State::Refused | State::Withdrawn => 20 + (i % 40) as i64,
            _ => 1 + (i % 12) as i64,
        };
        let t0 = today - Duration::days(back);
        let day = |k: i64| t0 + Duration::days(k);
        let complete = target != State::Supplement;
        let case = cases::apply(
            tx,
            street,
            &NewApplication {
                household_id: hh,
                applicant_person_id: head,
                program: program.into(),
                subtype: (program == "temporary_assistance").then(|| "expenditure".to_owned()),
                channel: if i % 3 == 0 { "discovery" } else { "counter" }.into(),
                reason: "家庭收入低于当地低保标准，生活困难".into(),
                documents: if complete {
                    vec![
                        "application_form".into(),
                        "hukou".into(),
                        "id_cards".into(),
                        "income_proof".into(),
                    ]
                } else {
                    vec!["application_form".into()]
                },
                authorization_signed: true,
                phone: Some(format!("139{:08}", 10_000 + i)),
                requested: (program == "temporary_assistance").then(|| "3000".to_owned()),
                self_care_fails: (program == "tekun").then_some((i % 7) as u8),
            },
            t0,
        )?;
        cases_n += 1;
        if target == State::Submitted {
            continue;
        }
        if target == State::Supplement {
            cases::request_supplement(tx, street, case, "", t0)?;
            continue;
        }
        cases::accept(tx, street, case, day(1))?;
        if target == State::Accepted {
            continue;
        }
        cases::record_means_check(
            tx,
            street,
            case,
            &MeansCheckInput {
                checked_on: Some(day(2)),
                monthly_income: format!("{}", (i * 37) % 900),
                assets_ok: true,
                findings: "与申报一致".into(),
            },
            day(2),
        )?;
        if target == State::MeansChecked {
            continue;
        }
        if target == State::Refused {
            cases::refuse(
                tx,
                &dist.reviewer,
                case,
                "家庭财产超过规定（名下有两套住房）",
                day(3),
            )?;
            continue;
        }
        cases::record_home_visit(
            tx,
            street,
            case,
            &VisitInput {
                visited_on: Some(day(3)),
                staff: vec!["社区工作人员甲".into(), "街道经办人员乙".into()],
                findings: "家中陈设简陋，与申报情况一致".into(),
                photos: String::new(),
            },
            day(3),
        )?;
        if target == State::Visited {
            continue;
        }
        if target == State::Withdrawn {
            cases::withdraw(tx, street, case, "家庭成员已就业，申请人主动撤回", day(4))?;
            continue;
        }
        if program != "temporary_assistance" {
            let names: Vec<String> = dist.panel.iter().map(|p| p.username.clone()).collect();
            let meeting = cases::open_appraisal(tx, street, case, day(4), "video", &names, day(4))?;
            let voters = if target == State::Appraisal {
                2
            } else {
                dist.panel.len()
            };
            for p in dist.panel.iter().take(voters) {
                cases::vote(tx, p, meeting, "agree", "")?;
            }
            if target == State::Appraisal {
                continue;
            }
        }
        let notice = cases::post_notice(tx, street, case, day(5))?;
        if target == State::Notice {
            continue;
        }
        if matches!(target, State::Renotice | State::Reinvestigation) {
            cases::object(
                tx,
                &public,
                notice,
                "居民",
                "",
                "反映该户子女有稳定工作收入",
                day(6),
            )?;
            cases::reinvestigate(tx, street, case, day(7))?;
            if target == State::Reinvestigation {
                continue;
            }
            cases::post_renotice(
                tx,
                street,
                case,
                "经复查，子女已另立户且收入较低，异议不成立",
                day(8),
            )?;
            continue;
        }
        cases::close_notice(tx, street, case, day(13))?;
        if target == State::Review {
            continue;
        }
        cases::record_review_visit(
            tx,
            &dist.reviewer,
            case,
            &VisitInput {
                visited_on: Some(day(14)),
                staff: vec!["区民政局甲".into(), "区民政局乙".into()],
                findings: "抽查属实".into(),
                photos: String::new(),
            },
            day(14),
        )?;
        match cases::approve(tx, &dist.reviewer, case, day(14)) {
            Ok(_) => {}
            // A household above the line on the figures is refused instead, as staff would.
            Err(AssistanceError::Invalid(_)) => {
                cases::refuse(
                    tx,
                    &dist.reviewer,
                    case,
                    "核定家庭人均收入不低于保障标准",
                    day(14),
                )?;
            }
            Err(e) => return Err(e),
        }
    }
    for (k, dept) in [
        "medical_security",
        "education",
        "housing",
        "human_resources",
        "charity",
    ]
    .iter()
    .enumerate()
    {
        let dist = &districts[k % 2];
        let id = IdNumber::generate(
            dist.region6,
            NaiveDate::from_ymd_opt(1970, 3, 1).unwrap_or(today) + Duration::days(k as i64),
            900 + k as u16,
        )
        .map_err(|e| AssistanceError::Internal(e.to_string()))?;
        referrals::create(
            tx,
            &dist.street,
            &NewReferral {
                application_id: None,
                region_code: dist.communities[0].into(),
                person_name: name(500 + k, 0),
                id_number: id.as_str().to_owned(),
                phone: None,
                to_dept: (*dept).into(),
                item_type: ["医疗救助", "教育救助", "住房救助", "就业救助", "慈善帮扶"][k].into(),
                description: "一门受理窗口登记，转相关部门办理".into(),
            },
            today - Duration::days(8 - k as i64),
        )?;
    }
    Ok(format!(
        "社会救助：{households_n} 户家庭，{cases_n} 件申请（覆盖全部 13 种状态），5 件转办事项"
    ))
}
