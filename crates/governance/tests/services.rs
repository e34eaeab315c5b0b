//! The governance services on every backend of the run: one request through all seven steps and a
//! reopening, a major matter referred and answered, a forbidden task refused with its list item,
//! a quorum failure, the public board masked, and the refusals (wrong role, out-of-order step,
//! non-member vote, vote after close, rating by a non-raiser) that leave nothing written.

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_governance::GovernanceError;
use minzheng_governance::councils::{self, NewMeeting};
use minzheng_governance::duty::{self, Push};
use minzheng_governance::indicators::{self, Level};
use minzheng_governance::requests::{self, Decision, NewRequest, Photo, Screening};
use minzheng_governance::rules::Step;
use minzheng_store::testing::databases;
use minzheng_store::{Db, Tx, params};

const COMMUNITY: &str = "500103001003";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn staff(id: i64, username: &str, role: Role, scope: &str) -> Principal {
    Principal {
        account_id: id,
        username: username.into(),
        display_name: username.into(),
        role,
        scope_code: scope.into(),
        unit_id: None,
        address: None,
        request_id: None,
    }
}

/// Creates the accounts (so meeting participants resolve) and returns the principals:
/// community worker, street officer, raiser citizen, another citizen.
fn setup(db: &Db) -> (Principal, Principal, Principal, Principal) {
    db.write(|tx| {
        minzheng_reference::parameters::sync_seed(tx).unwrap();
        let mut ids = Vec::new();
        for (u, name, role, scope, phone) in [
            ("worker", "社区工作者甲", "community_worker", COMMUNITY, None),
            ("street", "街道经办员乙", "street_officer", "500103001", None),
            ("13800000001", "张三明", "citizen", "", Some("13800000001")),
            ("13800000002", "李四", "citizen", "", Some("13800000002")),
        ] {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO account (username, display_name, search_keys, role, scope, phone, disabled, failed_attempts, created_at, updated_at)
                     VALUES ($1, $2, '', $3, $4, $5, FALSE, 0, 'now', 'now') RETURNING id",
                    params![u, name, role, scope, phone],
                )?
                .get(0)?;
            ids.push(id);
        }
        Ok::<_, minzheng_store::StoreError>(ids)
    })
    .map(|ids| {
        let mut w = staff(ids[0], "worker", Role::CommunityWorker, COMMUNITY);
        w.display_name = "社区工作者甲".into();
        let s = staff(ids[1], "street", Role::StreetOfficer, "500103001");
        let mut c = staff(ids[2], "13800000001", Role::Citizen, "");
        c.display_name = "张三明".into();
        let mut o = staff(ids[3], "13800000002", Role::Citizen, "");
        o.display_name = "李四".into();
        (w, s, c, o)
    })
    .unwrap()
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend(std::iter::repeat_n(7u8, 300));
    v
}

fn count(db: &Db, sql: &str) -> i64 {
    db.read(|tx| tx.query_one(sql, params![])?.get::<i64>(0))
        .unwrap()
}

fn w<T>(
    db: &Db,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, GovernanceError>,
) -> Result<T, GovernanceError> {
    db.write(f)
}

fn step(db: &Db, id: i64) -> String {
    db.read(|tx| {
        tx.query_one("SELECT step FROM request WHERE id = $1", params![id])?
            .get::<String>(0)
    })
    .unwrap()
}

fn citizen_request(db: &Db, citizen: &Principal, text: &str) -> i64 {
    w(db, |tx| {
        requests::raise(
            tx,
            citizen,
            &NewRequest {
                community: COMMUNITY.into(),
                channel: "phone".into(),
                category: "facilities".into(),
                description: text.into(),
                raiser_name: String::new(),
                raiser_phone: Some("13800000001".into()),
                photos: vec![Photo {
                    file_name: "路灯.png".into(),
                    bytes: png(),
                }],
            },
            today(),
        )
    })
    .unwrap()
}

#[test]
fn one_request_through_all_seven_steps_and_a_reopening() {
    for t in databases("governance_cycle") {
        let db = &t.db;
        let (worker, street, citizen, other) = setup(db);
        let id = citizen_request(db, &citizen, "3号楼前的路灯坏了两周，晚上看不见路");
        assert_eq!(step(db, id), "collect", "{}", t.label);
        assert_eq!(count(db, "SELECT COUNT(*) FROM request_photo"), 1);
        let events = || count(db, "SELECT COUNT(*) FROM request_event");
        assert_eq!(events(), 1);

        // Wrong role: a citizen cannot screen, even his own request.
        let e = w(db, |tx| {
            requests::screen(
                tx,
                &citizen,
                id,
                &Screening {
                    triage: "minor".into(),
                    reason: "小事".into(),
                    department: None,
                },
                today(),
            )
        })
        .unwrap_err();
        assert!(matches!(e, GovernanceError::Access(_)), "{e}");
        // Out of order: publicizing at 收单 is refused with the reason.
        let e = w(db, |tx| requests::publicize(tx, &worker, id, today())).unwrap_err();
        assert!(
            e.to_string().contains("收单") && e.to_string().contains("议单"),
            "{e}"
        );
        assert_eq!(events(), 1, "refusals write nothing");

        w(db, |tx| {
            requests::screen(
                tx,
                &worker,
                id,
                &Screening {
                    triage: "minor".into(),
                    reason: "社区可协调物业修复".into(),
                    department: None,
                },
                today(),
            )
        })
        .unwrap();
        // 定单 is the street's: the community worker's role lacks it.
        let decision = Decision {
            accept: true,
            reason: "影响居民夜间出行".into(),
            owner_kind: "party_member".into(),
            owner_name: "王建国".into(),
            plan: "联系物业更换灯具并检修线路".into(),
            budget: "1200.50".into(),
            deadline_workdays: 5,
        };
        assert!(matches!(
            w(db, |tx| requests::decide(
                tx,
                &worker,
                id,
                &decision,
                today()
            ))
            .unwrap_err(),
            GovernanceError::Access(_)
        ));
        // Bad input: an out-of-range deadline is refused and nothing changes.
        let bad = Decision {
            deadline_workdays: 0,
            ..decision.clone()
        };
        assert!(w(db, |tx| requests::decide(tx, &street, id, &bad, today())).is_err());
        assert_eq!(step(db, id), "screen");
        w(db, |tx| {
            requests::decide(tx, &street, id, &decision, today())
        })
        .unwrap();
        let rec = db.read(|tx| requests::load(tx, &street, id)).unwrap();
        assert_eq!(rec.budget_fen, Some(120050));
        // 2026-11-30 (Mon) + 5 working days = 2026-12-07.
        assert_eq!(rec.deadline.as_deref(), Some("2026-12-07"));

        // 议单 needs a meeting whose resolution passed.
        assert!(w(db, |tx| requests::deliberate(tx, &worker, id, 999)).is_err());
        let mid = w(db, |tx| {
            councils::create_meeting(
                tx,
                &worker,
                &NewMeeting {
                    community: COMMUNITY.into(),
                    council_kind: "coordination".into(),
                    request_id: Some(id),
                    topic: "路灯维修方案".into(),
                    held_on: "2026-11-30".into(),
                    participants: vec!["worker".into(), "street".into(), "13800000001".into()],
                },
                today(),
            )
        })
        .unwrap();
        // A non-participant's vote is refused.
        let e = w(db, |tx| councils::vote(tx, &other, mid, "yes")).unwrap_err();
        assert!(e.to_string().contains("不是本次会议的参会人员"), "{e}");
        w(db, |tx| councils::vote(tx, &citizen, mid, "yes")).unwrap();
        assert!(
            w(db, |tx| councils::vote(tx, &citizen, mid, "no")).is_err(),
            "one vote each"
        );
        // Quorum failure: 1 of 3 voted, two-thirds needed: refused, the meeting stays open.
        let e = w(db, |tx| {
            councils::resolve(tx, &worker, mid, "同意更换", "会议记录")
        })
        .unwrap_err();
        assert!(e.to_string().contains("未达到法定人数"), "{e}");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM meeting WHERE status = 'open'"),
            1
        );
        w(db, |tx| councils::vote(tx, &worker, mid, "yes")).unwrap();
        assert_eq!(
            w(db, |tx| councils::resolve(
                tx,
                &worker,
                mid,
                "同意更换灯具",
                "到会 3 人，表决 2 人，赞成 2 票"
            ))
            .unwrap(),
            "passed"
        );
        // A vote after the meeting closed is refused.
        let e = w(db, |tx| councils::vote(tx, &street, mid, "no")).unwrap_err();
        assert!(e.to_string().contains("会议已结束"), "{e}");

        w(db, |tx| requests::deliberate(tx, &worker, id, mid)).unwrap();
        w(db, |tx| requests::publicize(tx, &worker, id, today())).unwrap();
        w(db, |tx| {
            requests::progress(
                tx,
                &worker,
                id,
                50,
                "已采购灯具",
                &[Photo {
                    file_name: "采购.png".into(),
                    bytes: png(),
                }],
                today(),
            )
        })
        .unwrap();
        assert!(
            w(db, |tx| requests::progress(
                tx,
                &worker,
                id,
                30,
                "倒退",
                &[],
                today()
            ))
            .is_err()
        );
        assert!(
            w(db, |tx| requests::complete(tx, &worker, id, today())).is_err(),
            "not at 100 %"
        );
        w(db, |tx| {
            requests::progress(tx, &worker, id, 100, "灯具已更换", &[], today())
        })
        .unwrap();
        w(db, |tx| requests::complete(tx, &worker, id, today())).unwrap();
        assert_eq!(step(db, id), "revise");

        // Rating by anyone but the raiser is refused.
        let e = w(db, |tx| requests::rate(tx, &worker, id, 5, "")).unwrap_err();
        assert!(matches!(e, GovernanceError::Forbidden(_)), "{e}");
        assert!(matches!(
            w(db, |tx| requests::rate(tx, &other, id, 1, "")).unwrap_err(),
            GovernanceError::NotFound
        ));
        w(db, |tx| requests::rate(tx, &citizen, id, 4, "修得及时")).unwrap();
        assert!(
            w(db, |tx| requests::rate(tx, &citizen, id, 5, "")).is_err(),
            "once"
        );

        let new_id = w(db, |tx| {
            requests::reopen(tx, &citizen, id, "灯又不亮了", today())
        })
        .unwrap();
        let old = db.read(|tx| requests::load(tx, &street, id)).unwrap();
        let new = db.read(|tx| requests::load(tx, &street, new_id)).unwrap();
        assert_eq!(
            (old.step, old.reopened, old.on_time, old.rating),
            (Step::Closed, true, Some(true), Some(4))
        );
        assert_eq!(
            (new.step, new.cycle, new.previous_id),
            (Step::Collect, 2, Some(id))
        );
        assert!(
            w(db, |tx| requests::reopen(
                tx,
                &citizen,
                id,
                "再来一次",
                today()
            ))
            .is_err()
        );
        let steps: Vec<String> = db
            .read(|tx| requests::events(tx, id))
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            steps,
            [
                "raise",
                "screen",
                "accept",
                "deliberate",
                "publicize",
                "progress",
                "progress",
                "complete",
                "rate",
                "reopen"
            ]
        );

        let ind = db
            .read(|tx| indicators::indicators(tx, &street, Level::Street, None, today()))
            .unwrap();
        assert_eq!(ind.rows.len(), 1);
        let r = &ind.rows[0];
        assert_eq!(
            (r.code.as_str(), r.total, r.by_triage.clone()),
            ("500103001", 2, vec![0, 1, 0, 1])
        );
        assert_eq!(
            (
                r.completed,
                r.on_time,
                r.rated,
                r.satisfied,
                r.ended,
                r.reopened
            ),
            (1, 1, 1, 1, 1, 1)
        );
        assert_eq!(
            (
                r.on_time_rate.as_str(),
                r.satisfaction_rate.as_str(),
                r.mean_rating.as_str(),
                r.reopen_rate.as_str()
            ),
            ("100.0%", "100.0%", "4.00", "100.0%")
        );
        // The running totals the indicators read agree with a rebuild from the requests.
        let rebuilt = w(db, |tx| {
            minzheng_governance::tally::rebuild(tx)?;
            indicators::indicators(tx, &street, Level::Street, None, today())
        })
        .unwrap();
        assert_eq!(rebuilt.rows, ind.rows, "{}", t.label);
    }
}

#[test]
fn a_major_matter_is_referred_and_decided_only_once_answered() {
    for t in databases("governance_referral") {
        let db = &t.db;
        let (worker, street, citizen, _) = setup(db);
        let id = citizen_request(db, &citizen, "小区旁边的边坡有滑坡隐患，需要治理");
        let no_dept = Screening {
            triage: "major".into(),
            reason: "需政府部门处置".into(),
            department: None,
        };
        assert!(
            w(db, |tx| requests::screen(
                tx,
                &worker,
                id,
                &no_dept,
                today()
            ))
            .is_err()
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM referral"), 0);
        let s = Screening {
            department: Some("区规划自然资源局".into()),
            ..no_dept
        };
        w(db, |tx| requests::screen(tx, &worker, id, &s, today())).unwrap();
        let r = db.read(|tx| requests::referral(tx, id)).unwrap().unwrap();
        // 10 working days from 2026-11-30 = 2026-12-14.
        assert_eq!(
            (r.department.as_str(), r.deadline.as_str(), r.answer.clone()),
            ("区规划自然资源局", "2026-12-14", None)
        );
        let d = Decision {
            accept: true,
            reason: "部门已答复".into(),
            owner_kind: "cadre".into(),
            owner_name: "赵主任".into(),
            plan: "配合部门完成边坡治理".into(),
            budget: String::new(),
            deadline_workdays: 20,
        };
        let e = w(db, |tx| requests::decide(tx, &street, id, &d, today())).unwrap_err();
        assert!(e.to_string().contains("须先登记部门答复"), "{e}");
        w(db, |tx| {
            requests::answer_referral(
                tx,
                &worker,
                id,
                "已列入年度地灾治理项目，12 月底前施工",
                today(),
            )
        })
        .unwrap();
        assert!(
            w(db, |tx| requests::answer_referral(
                tx,
                &worker,
                id,
                "again",
                today()
            ))
            .is_err()
        );
        w(db, |tx| requests::decide(tx, &street, id, &d, today())).unwrap();
        let r = db.read(|tx| requests::referral(tx, id)).unwrap().unwrap();
        assert_eq!(r.answered_on.as_deref(), Some("2026-11-30"));
        assert_eq!(step(db, id), "decide", "{}", t.label);
    }
}

#[test]
fn a_forbidden_task_is_refused_with_its_list_item_and_counted() {
    for t in databases("governance_duty") {
        let db = &t.db;
        let (worker, street, _, _) = setup(db);
        let push = |title: &str, kind: &str, day: NaiveDate| {
            w(db, |tx| {
                duty::push(
                    tx,
                    &street,
                    &Push {
                        community: COMMUNITY.into(),
                        kind: kind.into(),
                        title: title.into(),
                        department: "区商务委".into(),
                    },
                    day,
                )
            })
        };
        // Before the lists: everything lands on the community.
        let before = push(
            "招商引资任务分解",
            "task",
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        )
        .unwrap();
        assert!(before.accepted);
        // The community worker may not adopt lists.
        assert!(
            w(db, |tx| duty::adopt(
                tx,
                &worker,
                COMMUNITY,
                "2026-11-16",
                &[],
                today()
            ))
            .is_err()
        );
        let items: Vec<(String, String)> = [
            ("self_governance", "居民公约的制定和修改"),
            ("assist_government", "人口普查"),
            ("forbidden", "招商引资"),
            ("certificate", "居住证明"),
        ]
        .iter()
        .map(|(k, n)| ((*k).into(), (*n).into()))
        .collect();
        w(db, |tx| {
            duty::adopt(tx, &street, COMMUNITY, "2026-11-16", &items, today())
        })
        .unwrap();
        assert!(
            w(db, |tx| duty::adopt(
                tx,
                &street,
                COMMUNITY,
                "2026-11-17",
                &items,
                today()
            ))
            .is_err()
        );
        let refused = push("2026年招商引资任务分解", "task", today()).unwrap();
        assert!(!refused.accepted);
        assert_eq!(
            (refused.item.as_deref(), refused.list.as_deref()),
            (Some("招商引资"), Some("负面事项清单"))
        );
        assert!(refused.reason.contains("招商引资"));
        let cert = push("无犯罪记录证明", "certificate", today()).unwrap();
        assert!(!cert.accepted);
        assert_eq!(
            (cert.item, cert.list.as_deref()),
            (None, Some("依法出具证明事项清单"))
        );
        assert!(push("居住证明", "certificate", today()).unwrap().accepted);
        // Bad input: nothing written.
        let n = count(db, "SELECT COUNT(*) FROM pushed_task");
        assert!(push("x", "task", today()).is_err());
        assert!(
            w(db, |tx| duty::push(
                tx,
                &street,
                &Push {
                    community: "500103001".into(),
                    kind: "task".into(),
                    title: "某事项".into(),
                    department: "区商务委".into()
                },
                today()
            ))
            .is_err()
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM pushed_task"), n);

        let rows = db.read(|tx| duty::burden(tx, &street, 9)).unwrap();
        assert_eq!(rows.len(), 1, "{}", t.label);
        let r = &rows[0];
        assert_eq!(
            (
                r.before_pushed,
                r.before_refused,
                r.after_pushed,
                r.after_refused
            ),
            (1, 0, 3, 2)
        );
        assert_eq!(
            (r.before_share.as_str(), r.after_share.as_str()),
            ("0.0%", "66.7%")
        );
        let d = db.read(|tx| duty::burden(tx, &street, 6)).unwrap();
        assert_eq!(d[0].code, "500103");
    }
}

#[test]
fn the_public_board_shows_masked_data_only() {
    for t in databases("governance_board") {
        let db = &t.db;
        let (worker, street, citizen, _) = setup(db);
        let id = citizen_request(
            db,
            &citizen,
            "楼道堆放杂物，请联系我13800000001处理，身份证50010319900101123X",
        );
        let on_behalf = w(db, |tx| {
            requests::raise(
                tx,
                &worker,
                &NewRequest {
                    community: COMMUNITY.into(),
                    channel: "behalf".into(),
                    category: "environment".into(),
                    description: "垃圾分类点异味严重".into(),
                    raiser_name: "欧阳小明".into(),
                    raiser_phone: Some("13900000009".into()),
                    photos: vec![],
                },
                today(),
            )
        })
        .unwrap();
        // A worker may not raise outside his community; a street officer has no RequestRaise.
        assert!(
            w(db, |tx| requests::raise(
                tx,
                &worker,
                &NewRequest {
                    community: "500103001001".into(),
                    channel: "behalf".into(),
                    category: "other".into(),
                    description: "五个字以上的内容".into(),
                    raiser_name: "某人".into(),
                    ..Default::default()
                },
                today()
            ))
            .is_err()
        );
        assert!(
            w(db, |tx| requests::raise(
                tx,
                &street,
                &NewRequest {
                    community: COMMUNITY.into(),
                    channel: "behalf".into(),
                    category: "other".into(),
                    description: "五个字以上的内容".into(),
                    raiser_name: "某人".into(),
                    ..Default::default()
                },
                today()
            ))
            .is_err()
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM request"), 2);

        let board = db
            .read(|tx| indicators::board(tx, COMMUNITY, today()))
            .unwrap();
        assert_eq!(board.rows.len(), 2, "{}", t.label);
        let json = serde_json::to_string(&board).unwrap();
        for secret in [
            "张三明",
            "欧阳小明",
            "13800000001",
            "13900000009",
            "50010319900101123X",
        ] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        let mine = board.rows.iter().find(|r| r.id == id).unwrap();
        assert_eq!(mine.raiser, "张*明");
        assert!(
            mine.summary.contains("138****0001") && mine.summary.contains("500103********123X")
        );
        assert_eq!(
            board
                .rows
                .iter()
                .find(|r| r.id == on_behalf)
                .unwrap()
                .raiser,
            "欧**明"
        );
        assert_eq!(board.by_step[0], ("收单".to_owned(), 2));
        // The local definitions are configuration: the city renames a step, the board follows;
        // a street officer may not, and a rule-bearing kind takes no new codes.
        let city = Principal::system("test");
        assert!(matches!(
            w(db, |tx| requests::rename_choice(
                tx, &street, "step", "collect", "收集"
            ))
            .unwrap_err(),
            GovernanceError::Forbidden(_)
        ));
        assert!(
            w(db, |tx| requests::add_choice(
                tx, &city, "triage", "urgent", "急事"
            ))
            .is_err()
        );
        w(db, |tx| {
            requests::rename_choice(tx, &city, "step", "collect", "收集诉求")
        })
        .unwrap();
        w(db, |tx| {
            requests::add_choice(tx, &city, "category", "parking", "停车管理")
        })
        .unwrap();
        let board = db
            .read(|tx| indicators::board(tx, COMMUNITY, today()))
            .unwrap();
        assert_eq!(board.by_step[0], ("收集诉求".to_owned(), 2));
        assert!(
            db.read(|tx| requests::choice(tx, "category", "parking", "类别"))
                .is_ok()
        );
        // A code that is not a community is refused.
        assert!(
            db.read(|tx| indicators::board(tx, "500103001", today()))
                .is_err()
        );
    }
}
