//! The assistance procedure on both backends: a full online case whose deadline crosses the 2020
//! Spring Festival extension, one crossing the 2020 May Day make-up day, an objection sent back
//! through re-notice, a refusal, amounts with supplements, scope, and the bad-input list.

use minzheng_access::{Principal, Role};
use minzheng_assistance::AssistanceError;
use minzheng_assistance::cases::{
    self, MeansCheckInput, NewApplication, OnlineApplication, OnlineMember, VisitInput,
};
use minzheng_assistance::households::{self, NewHousehold, NewIncome, NewMember};
use minzheng_assistance::queries::{self, WorklistQuery};
use minzheng_assistance::rules::State;
use minzheng_store::audit::AuditContext;
use minzheng_store::{Db, Tx, params};

mod common;
use common::{account, d, id};

fn w<T>(
    db: &Db,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, AssistanceError>,
) -> Result<T, AssistanceError> {
    db.write(f)
}

fn setup(db: &Db) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
}

struct Staff {
    street: Principal,
    community: Principal,
    reviewer: Principal,
    voters: Vec<Principal>,
}

fn staff(db: &Db) -> Staff {
    let voters = (0..5)
        .map(|i| {
            account(
                db,
                &format!("voter{i}"),
                Role::CommunityWorker,
                "500103001003",
                None,
            )
        })
        .collect();
    Staff {
        street: account(db, "street1", Role::StreetOfficer, "500103001", None),
        community: account(
            db,
            "community1",
            Role::CommunityWorker,
            "500103001003",
            None,
        ),
        reviewer: account(db, "reviewer1", Role::DistrictReviewer, "500103", None),
        voters,
    }
}

fn state_of(db: &Db, case: i64) -> String {
    db.read(|tx| -> Result<String, minzheng_store::StoreError> {
        tx.query_one(
            "SELECT state FROM assistance_application WHERE id = $1",
            params![case],
        )?
        .get(0)
    })
    .unwrap()
}

fn deadline_of(db: &Db, case: i64) -> Option<String> {
    db.read(|tx| -> Result<Option<String>, minzheng_store::StoreError> {
        tx.query_one(
            "SELECT deadline FROM assistance_application WHERE id = $1",
            params![case],
        )?
        .get(0)
    })
    .unwrap()
}

fn count(db: &Db, sql: &str) -> i64 {
    db.read(|tx| -> Result<i64, minzheng_store::StoreError> {
        tx.query_one(sql, params![])?.get(0)
    })
    .unwrap()
}

fn vote_all(db: &Db, s: &Staff, meeting: i64, agree: usize) {
    for (i, v) in s.voters.iter().enumerate() {
        let choice = if i < agree { "agree" } else { "disagree" };
        w(db, |tx| cases::vote(tx, v, meeting, choice, "")).unwrap();
    }
}

fn voter_names(s: &Staff) -> Vec<String> {
    s.voters.iter().map(|v| v.username.clone()).collect()
}

fn visit(names: &[&str], text: &str) -> VisitInput {
    VisitInput {
        visited_on: None,
        staff: names.iter().map(|s| s.to_string()).collect(),
        findings: text.into(),
        photos: String::new(),
    }
}

#[test]
fn full_online_case_crosses_the_2020_spring_festival_extension_and_may_day() {
    for t in minzheng_store::testing::databases("assist_online") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        let head = id("500103", "1985-03-12", 11);
        let citizen = account(
            db,
            "13800000001",
            Role::Citizen,
            "",
            Some(("13800000001", &head, "王建国")),
        );
        let form = OnlineApplication {
            program: "dibao".into(),
            region_code: "500103001003".into(),
            address: "渝中区七星岗街道华一坡 12 号 3-1".into(),
            members: vec![
                OnlineMember {
                    name: "李秀英".into(),
                    id_number: id("500103", "1987-06-01", 22),
                    relation: "spouse".into(),
                },
                OnlineMember {
                    name: "王小明".into(),
                    id_number: id("500103", "2016-05-01", 31),
                    relation: "child".into(),
                },
                OnlineMember {
                    name: "王德福".into(),
                    id_number: id("500103", "1945-02-02", 41),
                    relation: "parent".into(),
                },
            ],
            reason: "丈夫失业，老人重残，家庭收入低".into(),
            documents: vec![
                "application_form".into(),
                "hukou".into(),
                "id_cards".into(),
                "income_proof".into(),
            ],
            authorization_signed: true,
            ..OnlineApplication::default()
        };
        let case = w(db, |tx| {
            cases::apply_online(tx, &citizen, &form, d("2020-01-21"))
        })
        .unwrap();
        // Intake within 5 working days: 01-22, 01-23, then the extended holiday to 02-02.
        assert_eq!(deadline_of(db, case).as_deref(), Some("2020-02-05"));
        // The grandfather is a grade-2 disabled person: recorded at the household.
        db.write(|tx| {
            tx.execute(
                "UPDATE person SET disability_level = 2 WHERE name = '王德福'",
                params![],
            )
        })
        .unwrap();

        w(db, |tx| cases::accept(tx, &s.street, case, d("2020-01-22"))).unwrap();
        // Fast track, 7 working days from 01-22: 01-23, 02-03 … 02-10 (the extension moved it past 02-06).
        assert_eq!(deadline_of(db, case).as_deref(), Some("2020-02-10"));
        let income = MeansCheckInput {
            checked_on: None,
            monthly_income: "1000.40".into(),
            assets_ok: true,
            findings: "核对无异常".into(),
        };
        w(db, |tx| {
            cases::record_means_check(tx, &s.community, case, &income, d("2020-01-23"))
        })
        .unwrap();
        w(db, |tx| {
            cases::record_home_visit(
                tx,
                &s.community,
                case,
                &visit(&["张三", "李四"], "家中确无劳动收入"),
                d("2020-02-03"),
            )
        })
        .unwrap();
        let meeting = w(db, |tx| {
            cases::open_appraisal(
                tx,
                &s.community,
                case,
                d("2020-02-04"),
                "video",
                &voter_names(&s),
                d("2020-02-04"),
            )
        })
        .unwrap();
        vote_all(db, &s, meeting, 4);
        w(db, |tx| {
            cases::post_notice(tx, &s.community, case, d("2020-02-05"))
        })
        .unwrap();
        assert_eq!(state_of(db, case), "notice");
        // Closing before the 7 days are over is refused.
        assert!(matches!(
            w(db, |tx| cases::close_notice(
                tx,
                &s.community,
                case,
                d("2020-02-12")
            )),
            Err(AssistanceError::Invalid(_))
        ));
        w(db, |tx| {
            cases::close_notice(tx, &s.community, case, d("2020-02-13"))
        })
        .unwrap();
        // Appraisal + notice 02-04..02-13 excluded: 7 working days more → 02-19.
        assert_eq!(deadline_of(db, case).as_deref(), Some("2020-02-19"));
        assert_eq!(state_of(db, case), "review");
        w(db, |tx| {
            cases::record_review_visit(
                tx,
                &s.reviewer,
                case,
                &visit(&["区县甲", "区县乙"], "抽查属实"),
                d("2020-02-14"),
            )
        })
        .unwrap();
        w(db, |tx| {
            cases::approve(tx, &s.reviewer, case, d("2020-02-14"))
        })
        .unwrap();
        let (amount, first, days): (i64, String, i64) = db
            .read(|tx| -> Result<_, minzheng_store::StoreError> {
                let r = tx.query_one("SELECT amount_fen, first_month, processing_days FROM assistance_application WHERE id = $1", params![case])?;
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        // 4 × 580 − 1000.40 = 1319.60 → 1320; grandfather 60 (one of five) + 40 (disabled); child 100.
        assert_eq!(amount, 152_000);
        assert_eq!(first, "2020-02");
        assert_eq!(days, 23);
        assert_eq!(state_of(db, case), "approved");
        // One event per transition, and the citizen sees the timeline.
        assert_eq!(
            count(
                db,
                &format!("SELECT COUNT(*) FROM assistance_event WHERE application_id = {case}")
            ),
            9
        );
        let view = db
            .read(|tx| queries::case_view(tx, &citizen, case, d("2020-02-14")))
            .unwrap();
        assert_eq!(view.events.len(), 9);
        assert!(
            count(
                db,
                "SELECT COUNT(*) FROM notification WHERE recipient = '13800000001'"
            ) >= 9
        );

        // A second online case accepted on Friday 2020-04-24: the make-up Sunday 04-26 counts,
        // the May Day rest 05-01..05-05 does not: 7th working day is 05-07.
        let other = id("500103", "1970-01-05", 51);
        let c2 = account(
            db,
            "13800000002",
            Role::Citizen,
            "",
            Some(("13800000002", &other, "赵大海")),
        );
        let form2 = OnlineApplication {
            members: vec![],
            ..form.clone()
        };
        let case2 = w(db, |tx| {
            cases::apply_online(tx, &c2, &form2, d("2020-04-23"))
        })
        .unwrap();
        w(db, |tx| {
            cases::accept(tx, &s.street, case2, d("2020-04-24"))
        })
        .unwrap();
        assert_eq!(deadline_of(db, case2).as_deref(), Some("2020-05-07"));
        // The citizen withdraws; the clock stops.
        w(db, |tx| {
            cases::withdraw(tx, &c2, case2, "家庭情况好转", d("2020-04-27"))
        })
        .unwrap();
        assert_eq!(state_of(db, case2), "withdrawn");
        // Another citizen cannot see either case.
        assert!(matches!(
            db.read(|tx| queries::case_view(tx, &c2, case, d("2020-04-27"))),
            Err(AssistanceError::NotFound)
        ));
    }
}

fn counter_household(db: &Db, s: &Staff, seq: u16) -> (i64, i64) {
    let hh = w(db, |tx| {
        households::create_household(
            tx,
            &s.street,
            &NewHousehold {
                region_code: "500103001003".into(),
                address: "华一坡 8 号".into(),
            },
        )
    })
    .unwrap();
    let added = w(db, |tx| {
        households::add_member(
            tx,
            &s.street,
            hh,
            &NewMember {
                id_number: id("500103", "1960-01-01", seq),
                name: format!("刘{}", ["一", "二", "三", "四", "五"][usize::from(seq % 5)]),
                relation: "head".into(),
                co_resident: true,
                exclusion: "none".into(),
                ..NewMember::default()
            },
            d("2020-03-01"),
        )
    })
    .unwrap();
    (hh, added.person_id)
}

fn counter_case(db: &Db, s: &Staff, hh: i64, person: i64, on: &str) -> i64 {
    w(db, |tx| {
        cases::apply(
            tx,
            &s.street,
            &NewApplication {
                household_id: hh,
                applicant_person_id: person,
                program: "dibao".into(),
                channel: "counter".into(),
                reason: "独居老人无收入".into(),
                documents: vec!["application_form".into()],
                authorization_signed: true,
                phone: Some("13900000000".into()),
                ..NewApplication::default()
            },
            d(on),
        )
    })
    .unwrap()
}

#[test]
fn objection_sends_the_case_back_through_re_notice() {
    for t in minzheng_store::testing::databases("assist_objection") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        let (hh, person) = counter_household(db, &s, 101);
        let case = counter_case(db, &s, hh, person, "2020-03-02");
        // Incomplete: acceptance refused, one-time notice lists all four missing items.
        assert!(matches!(
            w(db, |tx| cases::accept(tx, &s.street, case, d("2020-03-02"))),
            Err(AssistanceError::Invalid(_))
        ));
        w(db, |tx| {
            cases::request_supplement(tx, &s.street, case, "", d("2020-03-02"))
        })
        .unwrap();
        let missing: String = db
            .read(|tx| -> Result<String, minzheng_store::StoreError> {
                tx.query_one(
                    "SELECT missing FROM assistance_application WHERE id = $1",
                    params![case],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(missing.split('；').count(), 3);
        let docs: Vec<String> = ["hukou", "id_cards", "income_proof"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        w(db, |tx| {
            cases::resubmit(tx, &s.street, case, &docs, true, d("2020-03-03"))
        })
        .unwrap();
        w(db, |tx| cases::accept(tx, &s.street, case, d("2020-03-03"))).unwrap();
        // Counter case: Chongqing 2016, 30 calendar days → 04-02.
        assert_eq!(deadline_of(db, case).as_deref(), Some("2020-04-02"));
        let income = MeansCheckInput {
            checked_on: None,
            monthly_income: "0".into(),
            assets_ok: true,
            findings: "无收入".into(),
        };
        w(db, |tx| {
            cases::record_means_check(tx, &s.street, case, &income, d("2020-03-04"))
        })
        .unwrap();
        w(db, |tx| {
            cases::record_home_visit(
                tx,
                &s.street,
                case,
                &visit(&["甲", "乙"], "独居，无收入来源"),
                d("2020-03-05"),
            )
        })
        .unwrap();
        // Appraisal is mandatory in Chongqing: posting straight from the visit is refused.
        assert!(
            w(db, |tx| cases::post_notice(
                tx,
                &s.street,
                case,
                d("2020-03-05")
            ))
            .is_err()
        );
        let meeting = w(db, |tx| {
            cases::open_appraisal(
                tx,
                &s.street,
                case,
                d("2020-03-06"),
                "in_person",
                &voter_names(&s),
                d("2020-03-06"),
            )
        })
        .unwrap();
        vote_all(db, &s, meeting, 3);
        // A member cannot vote twice.
        assert!(w(db, |tx| cases::vote(tx, &s.voters[0], meeting, "agree", "")).is_err());
        let notice = w(db, |tx| {
            cases::post_notice(tx, &s.street, case, d("2020-03-09"))
        })
        .unwrap();
        let public = AuditContext::system("public");
        w(db, |tx| {
            cases::object(
                tx,
                &public,
                notice,
                "邻居",
                "",
                "其子女在外地有稳定收入",
                d("2020-03-10"),
            )
        })
        .unwrap();
        // The notice cannot simply be closed: there is an objection.
        assert!(
            w(db, |tx| cases::close_notice(
                tx,
                &s.street,
                case,
                d("2020-03-17")
            ))
            .is_err()
        );
        w(db, |tx| {
            cases::reinvestigate(tx, &s.street, case, d("2020-03-11"))
        })
        .unwrap();
        assert_eq!(state_of(db, case), "reinvestigation");
        w(db, |tx| {
            cases::post_renotice(
                tx,
                &s.street,
                case,
                "经复查，其子女已分户且无赡养能力",
                d("2020-03-13"),
            )
        })
        .unwrap();
        // An objection to the first notice after its window closed is refused, nothing written.
        let before = count(db, "SELECT COUNT(*) FROM notice_objection");
        let late = w(db, |tx| {
            cases::object(
                tx,
                &public,
                notice,
                "某人",
                "",
                "补充异议内容",
                d("2020-03-17"),
            )
        });
        assert!(matches!(late, Err(AssistanceError::Invalid(ref m)) if m.contains("公示期已结束")));
        assert_eq!(count(db, "SELECT COUNT(*) FROM notice_objection"), before);
        w(db, |tx| {
            cases::close_renotice(tx, &s.street, case, d("2020-03-17"))
        })
        .unwrap();
        assert_eq!(state_of(db, case), "review");
        // Excluded: 03-06..03-11 (5 days) and 03-13..03-17 (4 days): 30 + 9 = 39 days from 03-03
        // is Saturday 04-11, moved to Monday 04-13.
        assert_eq!(deadline_of(db, case).as_deref(), Some("2020-04-13"));
        // The street may not decide (not delegated in Chongqing 2016); the district does.
        assert!(
            w(db, |tx| cases::approve(
                tx,
                &s.street,
                case,
                d("2020-03-18")
            ))
            .is_err()
        );
        w(db, |tx| {
            cases::record_review_visit(
                tx,
                &s.reviewer,
                case,
                &visit(&["丙", "丁"], "属实"),
                d("2020-03-18"),
            )
        })
        .unwrap();
        w(db, |tx| {
            cases::approve(tx, &s.reviewer, case, d("2020-03-18"))
        })
        .unwrap();
        // Single 60-year-old: 580 − 0 = 580.
        let amount: i64 = db
            .read(|tx| -> Result<i64, minzheng_store::StoreError> {
                tx.query_one(
                    "SELECT amount_fen FROM assistance_application WHERE id = $1",
                    params![case],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(amount, 58_000);
        let resolved = count(
            db,
            "SELECT COUNT(*) FROM notice_objection WHERE resolution IS NOT NULL",
        );
        assert_eq!(resolved, 1);
    }
}

#[test]
fn refusal_is_written_with_reasons() {
    for t in minzheng_store::testing::databases("assist_refusal") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        let (hh, person) = counter_household(db, &s, 202);
        let case = counter_case(db, &s, hh, person, "2020-03-02");
        let docs: Vec<String> = ["hukou", "id_cards", "income_proof"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        w(db, |tx| {
            cases::request_supplement(tx, &s.street, case, "房产证明", d("2020-03-02"))
        })
        .unwrap();
        w(db, |tx| {
            cases::resubmit(tx, &s.street, case, &docs, true, d("2020-03-03"))
        })
        .unwrap();
        w(db, |tx| cases::accept(tx, &s.street, case, d("2020-03-03"))).unwrap();
        let income = MeansCheckInput {
            checked_on: None,
            monthly_income: "3000".into(),
            assets_ok: false,
            findings: "有两套住房".into(),
        };
        w(db, |tx| {
            cases::record_means_check(tx, &s.street, case, &income, d("2020-03-04"))
        })
        .unwrap();
        // Without reasons: refused; nothing changed.
        assert!(
            w(db, |tx| cases::refuse(
                tx,
                &s.reviewer,
                case,
                " ",
                d("2020-03-05")
            ))
            .is_err()
        );
        assert_eq!(state_of(db, case), "means_checked");
        w(db, |tx| {
            cases::refuse(
                tx,
                &s.reviewer,
                case,
                "家庭人均收入高于低保标准，且拥有两套住房",
                d("2020-03-05"),
            )
        })
        .unwrap();
        assert_eq!(state_of(db, case), "refused");
        let view = db
            .read(|tx| queries::case_view(tx, &s.reviewer, case, d("2020-03-05")))
            .unwrap();
        assert!(view.refusal_reasons.unwrap().contains("两套住房"));
        assert_eq!(view.processing_days, Some(2));
        // A finished case cannot move again, not even withdrawn.
        assert!(
            w(db, |tx| cases::withdraw(
                tx,
                &s.street,
                case,
                "",
                d("2020-03-06")
            ))
            .is_err()
        );
        // The household may apply again now that nothing is open.
        counter_case(db, &s, hh, person, "2020-03-06");
    }
}

#[test]
fn a_street_officer_cannot_see_or_act_on_another_streets_case() {
    for t in minzheng_store::testing::databases("assist_scope") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        let (hh, person) = counter_household(db, &s, 303);
        let case = counter_case(db, &s, hh, person, "2020-03-02");
        let other = account(db, "street2", Role::StreetOfficer, "500103003", None);
        assert!(matches!(
            db.read(|tx| queries::case_view(tx, &other, case, d("2020-03-02"))),
            Err(AssistanceError::NotFound)
        ));
        assert!(matches!(
            w(db, |tx| cases::request_supplement(
                tx,
                &other,
                case,
                "",
                d("2020-03-02")
            )),
            Err(AssistanceError::NotFound)
        ));
        let list = db
            .read(|tx| queries::worklist(tx, &other, &WorklistQuery::default(), d("2020-03-02")))
            .unwrap();
        assert!(list.is_empty());
        assert!(matches!(
            w(db, |tx| households::add_income(
                tx,
                &other,
                hh,
                &NewIncome {
                    kind: "wage".into(),
                    month: "2020-02".into(),
                    amount: "100".into(),
                    ..NewIncome::default()
                },
                d("2020-03-02")
            )),
            Err(AssistanceError::NotFound)
        ));
        assert_eq!(state_of(db, case), "submitted");
        // Their own street's officer and the district see it, sorted by deadline.
        let mine = db
            .read(|tx| queries::worklist(tx, &s.street, &WorklistQuery::default(), d("2020-03-02")))
            .unwrap();
        assert_eq!(mine.len(), 1);
        let district = db
            .read(|tx| {
                queries::worklist(tx, &s.reviewer, &WorklistQuery::default(), d("2020-03-20"))
            })
            .unwrap();
        assert!(district[0].overdue);
    }
}

#[test]
fn bad_input_is_refused_and_nothing_changes() {
    for t in minzheng_store::testing::databases("assist_bad_input") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        let (hh, person) = counter_household(db, &s, 404);
        let (hh2, _) = counter_household(db, &s, 405);
        let members = count(db, "SELECT COUNT(*) FROM household_member");
        let persons = count(db, "SELECT COUNT(*) FROM person");
        // A member already active in another household.
        let dup = w(db, |tx| {
            households::add_member(
                tx,
                &s.street,
                hh2,
                &NewMember {
                    id_number: id("500103", "1960-01-01", 404),
                    name: "刘五".into(),
                    relation: "spouse".into(),
                    co_resident: true,
                    exclusion: "none".into(),
                    ..NewMember::default()
                },
                d("2020-03-01"),
            )
        });
        assert!(matches!(dup, Err(AssistanceError::Invalid(ref m)) if m.contains("另一户")));
        // An ID number that fails GB 11643 (check character changed).
        let mut bad = id("500103", "1990-01-01", 12);
        let last = if bad.ends_with('1') { "2" } else { "1" };
        bad.replace_range(17..18, last);
        let r = w(db, |tx| {
            households::add_member(
                tx,
                &s.street,
                hh2,
                &NewMember {
                    id_number: bad.clone(),
                    name: "刘六".into(),
                    relation: "child".into(),
                    co_resident: true,
                    exclusion: "none".into(),
                    ..NewMember::default()
                },
                d("2020-03-01"),
            )
        });
        assert!(matches!(r, Err(AssistanceError::Invalid(ref m)) if m.contains("身份证")));
        assert_eq!(count(db, "SELECT COUNT(*) FROM household_member"), members);
        assert_eq!(count(db, "SELECT COUNT(*) FROM person"), persons);
        // Incomes: negative, impossible month, future month.
        for (month, amount) in [
            ("2020-02", "-5"),
            ("2020-13", "100"),
            ("2020-00", "100"),
            ("2031-01", "100"),
            ("2020/02", "100"),
        ] {
            let r = w(db, |tx| {
                households::add_income(
                    tx,
                    &s.street,
                    hh,
                    &NewIncome {
                        kind: "wage".into(),
                        month: month.into(),
                        amount: amount.into(),
                        ..NewIncome::default()
                    },
                    d("2020-03-01"),
                )
            });
            assert!(
                matches!(r, Err(AssistanceError::Invalid(_))),
                "{month} {amount}"
            );
        }
        assert_eq!(count(db, "SELECT COUNT(*) FROM household_income"), 0);
        // Not-counted kinds are recorded but not counted.
        w(db, |tx| {
            households::add_income(
                tx,
                &s.street,
                hh,
                &NewIncome {
                    kind: "scholarship".into(),
                    month: "2020-02".into(),
                    amount: "500".into(),
                    ..NewIncome::default()
                },
                d("2020-03-01"),
            )
        })
        .unwrap();
        w(db, |tx| {
            households::add_income(
                tx,
                &s.street,
                hh,
                &NewIncome {
                    kind: "wage".into(),
                    month: "2020-02".into(),
                    amount: "300.50".into(),
                    ..NewIncome::default()
                },
                d("2020-03-01"),
            )
        })
        .unwrap();
        let counted = db
            .read(|tx| households::countable_income(tx, hh, "2020-02"))
            .unwrap();
        assert_eq!(counted.0, 30_050);
        // A transition not allowed from the current state, and one not allowed for this role.
        let case = counter_case(db, &s, hh, person, "2020-03-02");
        let events = count(db, "SELECT COUNT(*) FROM assistance_event");
        let r = w(db, |tx| {
            cases::approve(tx, &s.reviewer, case, d("2020-03-02"))
        });
        assert!(matches!(r, Err(AssistanceError::Invalid(ref m)) if m.contains("不能办理")));
        let r = w(db, |tx| {
            cases::refuse(tx, &s.community, case, "理由写明了", d("2020-03-02"))
        });
        assert!(r.is_err());
        let r = w(db, |tx| {
            cases::request_supplement(tx, &s.reviewer, case, "", d("2020-03-02"))
        });
        assert!(matches!(r, Err(AssistanceError::Access(_))));
        assert_eq!(count(db, "SELECT COUNT(*) FROM assistance_event"), events);
        assert_eq!(state_of(db, case), "submitted");
        // A second open dibao application for the same household.
        let r = w(db, |tx| {
            cases::apply(
                tx,
                &s.street,
                &NewApplication {
                    household_id: hh,
                    applicant_person_id: person,
                    program: "dibao".into(),
                    channel: "counter".into(),
                    reason: "再次申请".into(),
                    ..NewApplication::default()
                },
                d("2020-03-02"),
            )
        });
        assert!(matches!(r, Err(AssistanceError::Invalid(ref m)) if m.contains("不能重复")));
        // A home visit by one person only.
        w(db, |tx| {
            cases::request_supplement(tx, &s.street, case, "", d("2020-03-02"))
        })
        .unwrap();
        let docs: Vec<String> = ["hukou", "id_cards", "income_proof"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        w(db, |tx| {
            cases::resubmit(tx, &s.street, case, &docs, true, d("2020-03-03"))
        })
        .unwrap();
        w(db, |tx| cases::accept(tx, &s.street, case, d("2020-03-03"))).unwrap();
        let income = MeansCheckInput {
            checked_on: None,
            monthly_income: "0".into(),
            assets_ok: true,
            findings: "无".into(),
        };
        w(db, |tx| {
            cases::record_means_check(tx, &s.street, case, &income, d("2020-03-04"))
        })
        .unwrap();
        assert!(
            w(db, |tx| cases::record_home_visit(
                tx,
                &s.street,
                case,
                &visit(&["甲", "甲"], "独自一人去的"),
                d("2020-03-05")
            ))
            .is_err()
        );
        assert_eq!(state_of(db, case), "means_checked");
        // A relative of staff, registered: the district must visit before approving.
        let rel = w(db, |tx| {
            households::register_relative(
                tx,
                &s.street,
                &id("500103", "1960-01-01", 404),
                "刘五",
                "张主任",
                "社区主任",
                "兄弟",
                d("2020-03-04"),
            )
        });
        assert!(rel.is_ok());
        let flagged = count(
            db,
            &format!(
                "SELECT COUNT(*) FROM assistance_application WHERE id = {case} AND close_relative"
            ),
        );
        assert_eq!(flagged, 1);
        assert_eq!(State::parse("review"), Some(State::Review));
    }
}

#[test]
fn amounts_with_supplements_hand_computed() {
    use minzheng_assistance::amounts::{
        AmountRequest, AreaType, MemberFacts, TemporaryKind, calculate,
    };
    use minzheng_kernel::money::Fen;
    use minzheng_kernel::params::ParamSet;
    for t in minzheng_store::testing::databases("assist_amounts") {
        let db = &t.db;
        setup(db);
        let p: ParamSet = db
            .read(minzheng_reference::parameters::parameter_set)
            .unwrap();
        let on = d("2019-06-01");
        let m =
            |name: &str, birth: &str, grade: Option<u8>, ill: bool, student: bool| MemberFacts {
                name: name.into(),
                birth_date: d(birth),
                disability_grade: grade,
                serious_illness: ill,
                student,
            };
        // Rural 2019: 440 × 3 = 1320; income 500 → 820. Student 100; grade-3 disabled adult 40;
        // a 72-year-old seriously ill: one of five (60), not twice. Total 820 + 200 = 1020.
        let a = calculate(
            &p,
            "500106008200",
            on,
            &AmountRequest::Dibao {
                area: AreaType::Rural,
                members: vec![
                    m("甲", "1975-01-01", Some(3), false, false),
                    m("乙", "2005-09-01", None, false, true),
                    m("丙", "1947-01-01", None, true, false),
                ],
                countable_income: Fen(50_000),
            },
        )
        .unwrap();
        assert!(a.eligible);
        assert_eq!(a.total, Fen(102_000));
        assert!(a.explanation().contains("dibao.standard.rural"));
        // Urban 2019, income above the line: nothing, supplements included.
        let b = calculate(
            &p,
            "500103001003",
            on,
            &AmountRequest::Dibao {
                area: AreaType::Urban,
                members: vec![m("丁", "1940-01-01", Some(1), true, false)],
                countable_income: Fen(58_000),
            },
        )
        .unwrap();
        assert!(!b.eligible);
        assert_eq!(b.total, Fen(0));
        // Urban after the 2020-07 standard: 620 − 100.50 = 519.50 → 520 (half up); grade-1 disabled
        // and 70+: 60 + 40 → 620.
        let c = calculate(
            &p,
            "500103001003",
            d("2020-08-01"),
            &AmountRequest::Dibao {
                area: AreaType::Urban,
                members: vec![m("戊", "1940-01-01", Some(1), false, false)],
                countable_income: Fen(10_050),
            },
        )
        .unwrap();
        assert_eq!(c.total, Fen(62_000));
        // Tekun 2019: 754 + 300 (4 fails) / + 200 (2 fails) / + 0.
        for (fails, fen) in [
            (4u8, 105_400),
            (6, 105_400),
            (2, 95_400),
            (1, 95_400),
            (0, 75_400),
        ] {
            let t = calculate(
                &p,
                "500103001003",
                on,
                &AmountRequest::Tekun {
                    self_care_fails: fails,
                },
            )
            .unwrap();
            assert_eq!(t.total, Fen(fen), "{fails}");
        }
        assert!(
            calculate(
                &p,
                "500103001003",
                on,
                &AmountRequest::Tekun { self_care_fails: 7 }
            )
            .is_err()
        );
        // Temporary 2019: cap 6 × 580 × 3 persons = 10,440; street may approve up to 3 × 580 × 3 = 5,220.
        let big = calculate(
            &p,
            "500103001003",
            on,
            &AmountRequest::Temporary {
                kind: TemporaryKind::Emergency,
                persons: 3,
                need: Fen(2_000_000),
            },
        )
        .unwrap();
        assert_eq!(big.total, Fen(1_044_000));
        assert!(!big.street_may_approve);
        let small = calculate(
            &p,
            "500103001003",
            on,
            &AmountRequest::Temporary {
                kind: TemporaryKind::Expenditure,
                persons: 3,
                need: Fen(300_000),
            },
        )
        .unwrap();
        assert_eq!(small.total, Fen(300_000));
        assert!(small.street_may_approve);
    }
}

#[test]
fn emergency_temporary_assistance_is_paid_first_within_the_street_limit() {
    for t in minzheng_store::testing::databases("assist_first_aid") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        let (hh, person) = counter_household(db, &s, 505);
        let apply = |need: &str| {
            w(db, |tx| {
                cases::apply(
                    tx,
                    &s.street,
                    &NewApplication {
                        household_id: hh,
                        applicant_person_id: person,
                        program: "temporary_assistance".into(),
                        subtype: Some("emergency".into()),
                        channel: "counter".into(),
                        reason: "家中失火，生活用品全部烧毁".into(),
                        documents: vec!["application_form".into()],
                        authorization_signed: true,
                        requested: Some(need.into()),
                        ..NewApplication::default()
                    },
                    d("2020-03-02"),
                )
            })
        };
        // 8000 yuan: above the street limit (3 × 580 × 1 person = 1740): the street may not pay first.
        let big = apply("8000").unwrap();
        assert!(matches!(
            w(db, |tx| cases::first_aid(
                tx,
                &s.street,
                big,
                d("2020-03-02")
            )),
            Err(AssistanceError::Invalid(_))
        ));
        w(db, |tx| {
            cases::withdraw(tx, &s.street, big, "改为支出型申请", d("2020-03-02"))
        })
        .unwrap();
        // 1500 yuan: within it, paid the same day, paperwork due in 5 working days.
        let small = apply("1500").unwrap();
        w(db, |tx| {
            cases::first_aid(tx, &s.street, small, d("2020-03-02"))
        })
        .unwrap();
        assert_eq!(state_of(db, small), "approved");
        let (amount, explanation): (i64, String) = db
            .read(|tx| -> Result<_, minzheng_store::StoreError> {
                let r = tx.query_one(
                    "SELECT amount_fen, explanation FROM assistance_application WHERE id = $1",
                    params![small],
                )?;
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(amount, 150_000);
        assert!(explanation.contains("2020-03-09"), "{explanation}");
        // A dibao case cannot be paid first.
        let dibao = counter_case(db, &s, hh, person, "2020-03-02");
        assert!(
            w(db, |tx| cases::first_aid(
                tx,
                &s.reviewer,
                dibao,
                d("2020-03-02")
            ))
            .is_err()
        );
    }
}

#[test]
fn households_registered_at_the_same_instant_all_get_their_own_ids() {
    for t in minzheng_store::testing::databases("assist_concurrent_ids") {
        let db = &t.db;
        setup(db);
        let s = staff(db);
        std::thread::scope(|scope| {
            for worker in 0..4 {
                let (db, who) = (db.clone(), s.community.clone());
                scope.spawn(move || {
                    for n in 0..10 {
                        let input = NewHousehold {
                            region_code: "500103001003".into(),
                            address: format!("华一坡社区{worker}号楼{n}单元"),
                        };
                        db.write(|tx| households::create_household(tx, &who, &input))
                            .unwrap_or_else(|e| panic!("registration {worker}/{n}: {e}"));
                    }
                });
            }
        });
        assert_eq!(
            count(
                db,
                "SELECT COUNT(DISTINCT id) FROM household WHERE origin = 'assistance'"
            ),
            40,
            "{}",
            t.label
        );
    }
}
