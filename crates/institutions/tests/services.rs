//! The services of the area on both backends: the five suspensions, the gate flow, escalation,
//! coverage, the legal-review gate, health-report refusals and the re-checkable draw.

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_institutions::registry::{self, NewInstitution};
use minzheng_institutions::{
    InstitutionsError, enforcement, epidemic, gate, inspections, people, policy, reports, rules,
};
use minzheng_kernel::credit_code::{CreditCode, RegistrationAuthority};
use minzheng_store::testing::databases;
use minzheng_store::{Db, Tx, params};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn who(role: Role, scope: &str, unit: Option<i64>) -> Principal {
    Principal {
        account_id: 9,
        username: format!("{}-{scope}", role.id()),
        display_name: "测试员".into(),
        role,
        scope_code: scope.into(),
        unit_id: unit,
        address: None,
        request_id: None,
    }
}

fn credit(n: u32, region6: &str) -> String {
    CreditCode::generate(
        RegistrationAuthority::CivilAffairs,
        '2',
        region6,
        &format!("{n:08}"),
    )
    .unwrap()
    .as_str()
    .to_owned()
}

fn new_inst(name: &str, region: &str, n: u32) -> NewInstitution {
    NewInstitution {
        kind: "welfare_home".into(),
        name: name.into(),
        operator: "public".into(),
        socially_operated: false,
        credit_code: Some(credit(n, &region[..6])),
        address: "测试路1号".into(),
        region_code: region.into(),
        licence_kind: Some("licence".into()),
        licence_no: format!("许可{n}").into(),
        beds: 100,
        resident_count: 0,
        staff_count: 0,
        opened_on: d("2019-01-01"),
    }
}

fn setup(db: &Db) -> (i64, i64) {
    db.write(|tx| -> Result<_, InstitutionsError> {
        minzheng_reference::parameters::sync_seed(tx)?;
        let admin = Principal::system("test");
        let a = registry::register(tx, &admin, &new_inst("渝中区社会福利院", "500103001003", 1))?;
        let b = registry::register(
            tx,
            &admin,
            &new_inst("沙坪坝区社会福利院", "500106001001", 2),
        )?;
        Ok((a, b))
    })
    .unwrap()
}

fn count(db: &Db, table: &str) -> i64 {
    db.read(|tx: &mut Tx<'_>| {
        tx.query_one(&format!("SELECT COUNT(*) FROM {table}"), params![])?
            .get::<i64>(0)
    })
    .unwrap()
}

fn err<T: std::fmt::Debug>(r: Result<T, InstitutionsError>) -> String {
    match r {
        Err(InstitutionsError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn admit(
    tx: &mut Tx<'_>,
    staff: &Principal,
    name: &str,
    id: &str,
    on: &str,
) -> Result<i64, InstitutionsError> {
    people::admit(
        tx,
        staff,
        &people::NewResident {
            name: name.into(),
            id_number: id.into(),
            care_level: "self_care".into(),
            area: "一号楼".into(),
            room: "101".into(),
            admitted_on: d(on),
        },
    )
}

const ID1: &str = "500103194501011238";
const ID2: &str = "500103194602021235";

fn valid_id(base: &str) -> String {
    let first17 = &base[..17];
    format!(
        "{first17}{}",
        minzheng_kernel::id_number::check_character(first17).unwrap()
    )
}

#[test]
fn each_suspension_is_enforced_while_an_order_is_in_force_and_released_after_lifting() {
    for t in databases("inst_suspensions") {
        let db = &t.db;
        let (a, b) = setup(db);
        let staff = who(Role::InstitutionStaff, "500103", Some(a));
        let other = who(Role::InstitutionStaff, "500106", Some(b));
        let district = who(Role::DistrictAdmin, "500103", None);
        let (r1, _) = db
            .write(|tx| -> Result<_, InstitutionsError> {
                let r1 = admit(tx, &staff, "王大爷", &valid_id(ID1), "2020-01-10")?;
                let r2 = admit(tx, &other, "李奶奶", &valid_id(ID2), "2020-01-10")?;
                Ok((r1, r2))
            })
            .unwrap();
        let order = db
            .write(|tx| {
                epidemic::issue(
                    tx,
                    &district,
                    &epidemic::NewOrder {
                        title: "关于民政服务机构实行封闭管理的通知".into(),
                        issuer: "渝中区民政局".into(),
                        from_date: d("2020-01-25"),
                        regions: vec!["500103".into()],
                        kinds: vec![],
                    },
                )
            })
            .unwrap();
        // A district cannot issue for another district.
        let m = err(db.write(|tx| {
            epidemic::issue(
                tx,
                &district,
                &epidemic::NewOrder {
                    title: "x".into(),
                    issuer: "x".into(),
                    from_date: d("2020-01-25"),
                    regions: vec!["500106".into()],
                    kinds: vec![],
                },
            )
        }));
        assert!(m.contains("超出"), "{m}");

        let before = [
            count(db, "visit_request"),
            count(db, "admission_consultation"),
            count(db, "resident"),
            count(db, "group_activity"),
        ];
        let on = d("2020-02-01");
        let refusals = [
            err(db.write(|tx| people::request_visit(tx, &staff, r1, "王小明", on))),
            err(db.write(|tx| people::consult(tx, &staff, "张先生", "13800000000", on))),
            err(db.write(|tx| {
                admit(
                    tx,
                    &staff,
                    "赵爷爷",
                    &valid_id("500103194703031230"),
                    "2020-02-01",
                )
            })),
            err(db.write(|tx| people::schedule_activity(tx, &staff, "春节联欢会", on))),
        ];
        for (m, what) in refusals
            .iter()
            .zip(["探视", "入住咨询", "新入住", "集体活动"])
        {
            assert!(m.contains(&format!("暂停{what}")), "{m}");
            assert!(m.contains("关于民政服务机构实行封闭管理的通知"), "{m}");
            assert!(m.contains(&format!("第 {order} 号")), "{m}");
        }
        let after = [
            count(db, "visit_request"),
            count(db, "admission_consultation"),
            count(db, "resident"),
            count(db, "group_activity"),
        ];
        assert_eq!(before, after, "refusals wrote nothing");
        // The order covers 渝中区 only: 沙坪坝区's institution still takes visits.
        db.write(|tx| people::schedule_activity(tx, &other, "书法课", on))
            .unwrap();

        // A resident back from hospital goes into quarantine first.
        db.write(|tx| people::leave(tx, &staff, r1, d("2020-01-28")))
            .unwrap();
        let re = db
            .write(|tx| people::record_return(tx, &staff, "resident", r1, d("2020-02-03")))
            .unwrap();
        let list = db.read(|tx| people::reentries(tx, &staff)).unwrap();
        assert_eq!(list[0].status, "quarantine");
        assert_eq!(list[0].quarantine_until.as_deref(), Some("2020-02-17"));
        let m = err(db.write(|tx| people::reenter(tx, &staff, re, d("2020-02-05"))));
        assert!(
            m.contains("外出返回") && m.contains(&format!("第 {order} 号")),
            "{m}"
        );
        let m = err(db.write(|tx| people::pass_quarantine(tx, &staff, re, d("2020-02-10"))));
        assert!(m.contains("2020-02-17"), "{m}");
        db.write(|tx| people::pass_quarantine(tx, &staff, re, d("2020-02-17")))
            .unwrap();
        db.write(|tx| people::reenter(tx, &staff, re, d("2020-02-17")))
            .unwrap();

        // A staff member returning while the order is in force, still in quarantine at lifting.
        let sid = db
            .write(|tx| people::add_staff(tx, &staff, "陈护工", "护理员", None))
            .unwrap();
        let re2 = db
            .write(|tx| people::record_return(tx, &staff, "staff", sid, d("2020-03-15")))
            .unwrap();

        // Lifting is dated and audited; wrong dates are refused.
        let m =
            err(db.write(|tx| epidemic::lift(tx, &district, order, d("2020-01-20"), "疫情平稳")));
        assert!(m.contains("晚于"), "{m}");
        db.write(|tx| epidemic::lift(tx, &district, order, d("2020-03-20"), "疫情平稳，有序解除"))
            .unwrap();
        let lifted: i64 = db
            .read(|tx: &mut Tx<'_>| {
                tx.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'epidemic_order.lift'",
                    params![],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(lifted, 1);
        // The last day of the order still refuses; the day of lifting no longer does.
        err(db.write(|tx| people::schedule_activity(tx, &staff, "茶话会", d("2020-03-19"))));
        let on = d("2020-03-20");
        db.write(|tx| people::request_visit(tx, &staff, r1, "王小明", on))
            .unwrap();
        db.write(|tx| people::consult(tx, &staff, "张先生", "13800000000", on))
            .unwrap();
        db.write(|tx| {
            admit(
                tx,
                &staff,
                "赵爷爷",
                &valid_id("500103194703031230"),
                "2020-03-20",
            )
        })
        .unwrap();
        db.write(|tx| people::schedule_activity(tx, &staff, "茶话会", on))
            .unwrap();
        db.write(|tx| people::reenter(tx, &staff, re2, on)).unwrap();
        let st: String = db
            .read(|tx: &mut Tx<'_>| {
                tx.query_one(
                    "SELECT status FROM staff_member WHERE id = $1",
                    params![sid],
                )?
                .get::<String>(0)
            })
            .unwrap();
        assert_eq!(st, "in");
        // Lifting twice is refused.
        err(db.write(|tx| epidemic::lift(tx, &district, order, d("2020-03-21"), "再次")));
    }
}

#[test]
fn the_gate_flow_runs_end_to_end_and_nothing_is_collected_undisinfected() {
    for t in databases("inst_gate") {
        let db = &t.db;
        let (a, b) = setup(db);
        let gate_officer = who(Role::InstitutionStaff, "500103", Some(a));
        let other = who(Role::InstitutionStaff, "500106", Some(b));
        let r = db
            .write(|tx| admit(tx, &gate_officer, "王大爷", &valid_id(ID1), "2020-01-10"))
            .unwrap();
        let n = gate::NewDelivery {
            sender_name: "王小明".into(),
            sender_phone: "13812345678".into(),
            items: "牛奶一箱、苹果两斤、降压药".into(),
            resident_id: r,
        };
        let id = db
            .write(|tx| gate::log_delivery(tx, &gate_officer, &n))
            .unwrap();
        // Bad input: no items.
        let bad = gate::NewDelivery {
            items: " ".into(),
            ..n.clone()
        };
        assert!(err(db.write(|tx| gate::log_delivery(tx, &gate_officer, &bad))).contains("物品"));
        // Another institution cannot see or touch it.
        assert!(matches!(
            db.write(|tx| gate::disinfect(tx, &other, id, "紫外线")),
            Err(InstitutionsError::NotFound)
        ));
        let m = err(db.write(|tx| gate::collect(tx, &gate_officer, id, "一号楼护理员")));
        assert!(m.contains("消毒"), "{m}");
        let m = err(db.write(|tx| gate::notify_area(tx, &gate_officer, id)));
        assert!(m.contains("消毒"), "{m}");
        let open = db
            .read(|tx| gate::ledger(tx, &gate_officer, true, Some("一号楼"), 50))
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].status, "received");
        assert_eq!(open[0].collected_at, None);
        assert_eq!(open[0].sender_phone_masked, "138****5678");
        db.write(|tx| gate::disinfect(tx, &gate_officer, id, "75%酒精擦拭外包装"))
            .unwrap();
        db.write(|tx| gate::notify_area(tx, &gate_officer, id))
            .unwrap();
        let open = db
            .read(|tx| gate::ledger(tx, &gate_officer, true, Some("一号楼"), 50))
            .unwrap();
        assert_eq!(open[0].status, "notified");
        assert_eq!(
            open[0].disinfection_method.as_deref(),
            Some("75%酒精擦拭外包装")
        );
        db.write(|tx| gate::collect(tx, &gate_officer, id, "一号楼护理员"))
            .unwrap();
        assert!(
            db.read(|tx| gate::ledger(tx, &gate_officer, true, None, 50))
                .unwrap()
                .is_empty()
        );
        let all = db
            .read(|tx| gate::ledger(tx, &gate_officer, false, None, 50))
            .unwrap();
        assert_eq!(all[0].status, "collected");
        assert_eq!(all[0].collected_by.as_deref(), Some("一号楼护理员"));
        err(db.write(|tx| gate::collect(tx, &gate_officer, id, "再领")));
        // Gate duty and its hours.
        let s = db
            .write(|tx| people::add_staff(tx, &gate_officer, "刘门卫", "门岗", None))
            .unwrap();
        db.write(|tx| {
            people::add_shift(
                tx,
                &gate_officer,
                s,
                "gate",
                d("2020-02-01"),
                "08:00",
                "20:00",
            )
        })
        .unwrap();
        db.write(|tx| {
            people::add_shift(
                tx,
                &gate_officer,
                s,
                "gate",
                d("2020-02-01"),
                "20:00",
                "08:00",
            )
        })
        .unwrap();
        err(db.write(|tx| {
            people::add_shift(
                tx,
                &gate_officer,
                s,
                "gate",
                d("2020-02-01"),
                "08:00",
                "20:00",
            )
        }));
        let h = db
            .read(|tx| {
                people::duty_hours(tx, &gate_officer, "gate", d("2020-02-01"), d("2020-02-29"))
            })
            .unwrap();
        assert_eq!(h[0].shifts, 2);
        assert_eq!(h[0].minutes, 1440);
    }
}

#[test]
fn an_incident_escalates_at_once_to_the_district_and_city_worklists() {
    for t in databases("inst_incident") {
        let db = &t.db;
        let (a, _) = setup(db);
        let staff = who(Role::InstitutionStaff, "500103", Some(a));
        let today = d("2020-02-10");
        let n = reports::NewIncident {
            kind: "confirmed".into(),
            person_kind: "staff".into(),
            persons: 1,
            occurred_on: d("2020-02-08"),
            description: "一名护理员核酸检测阳性，已转运".into(),
        };
        db.write(|tx| reports::report_incident(tx, &staff, &n, today))
            .unwrap();
        let yuzhong = who(Role::DistrictAdmin, "500103", None);
        let shapingba = who(Role::DistrictAdmin, "500106", None);
        let city = who(Role::CityAdmin, "50", None);
        let w = db.read(|tx| reports::worklist(tx, &yuzhong)).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].level.as_str(), w[0].kind.as_str(), w[0].persons),
            ("district", "confirmed", 1)
        );
        assert!(
            db.read(|tx| reports::worklist(tx, &shapingba))
                .unwrap()
                .is_empty()
        );
        let c = db.read(|tx| reports::worklist(tx, &city)).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].level, "city");
        db.write(|tx| reports::acknowledge(tx, &yuzhong, w[0].id))
            .unwrap();
        assert!(
            db.read(|tx| reports::worklist(tx, &yuzhong)).unwrap()[0]
                .acknowledged_at
                .is_some()
        );
        let dash = db
            .read(|tx| reports::dashboard(tx, &yuzhong, today))
            .unwrap();
        assert_eq!(dash.infections, 1);
        assert_eq!(dash.days_since_last_case, Some(2));
        assert_eq!((dash.units, dash.reporting, dash.missing), (1, 0, 1));
        // Bad input writes nothing.
        let bad = reports::NewIncident {
            occurred_on: d("2020-02-11"),
            ..n.clone()
        };
        err(db.write(|tx| reports::report_incident(tx, &staff, &bad, today)));
        assert_eq!(count(db, "incident"), 1);
        assert_eq!(count(db, "incident_worklist"), 2);
    }
}

#[test]
fn health_reports_refuse_future_dates_other_institutions_and_repeats() {
    for t in databases("inst_health") {
        let db = &t.db;
        let (a, b) = setup(db);
        let staff = who(Role::InstitutionStaff, "500103", Some(a));
        let today = d("2020-02-10");
        let mut n = reports::NewHealthReport {
            institution_id: a,
            report_date: d("2020-02-11"),
            residents_fever: 0,
            residents_symptoms: 0,
            staff_fever: 1,
            staff_symptoms: 0,
            in_isolation: 2,
            tested: 5,
        };
        assert!(
            err(db.write(|tx| reports::submit_health_report(tx, &staff, &n, today)))
                .contains("未来")
        );
        n.report_date = today;
        n.institution_id = b;
        assert!(
            err(db.write(|tx| reports::submit_health_report(tx, &staff, &n, today)))
                .contains("本机构")
        );
        assert_eq!(count(db, "health_report"), 0);
        n.institution_id = a;
        // A count past any institution's size is a slip (or a probe), not a report.
        let huge = reports::NewHealthReport {
            residents_fever: 99_999_999_999,
            ..n.clone()
        };
        assert!(
            err(db.write(|tx| reports::submit_health_report(tx, &staff, &huge, today)))
                .contains("不能超过 20000")
        );
        assert_eq!(count(db, "health_report"), 0);
        db.write(|tx| reports::submit_health_report(tx, &staff, &n, today))
            .unwrap();
        err(db.write(|tx| reports::submit_health_report(tx, &staff, &n, today)));
        let city = who(Role::CityAdmin, "50", None);
        let dash = db.read(|tx| reports::dashboard(tx, &city, today)).unwrap();
        assert_eq!(
            (
                dash.units,
                dash.reporting,
                dash.missing,
                dash.fever,
                dash.in_isolation
            ),
            (2, 1, 1, 1, 2)
        );
        assert_eq!(dash.missing_list[0].0, b);
        assert_eq!((dash.infections, dash.days_since_last_case), (0, None));
        // The institution's own dashboard sees only itself.
        let own = db.read(|tx| reports::dashboard(tx, &staff, today)).unwrap();
        assert_eq!((own.units, own.reporting), (1, 1));
    }
}

#[test]
fn coverage_indicators_are_exact_on_a_small_region_tree() {
    for t in databases("inst_coverage") {
        let db = &t.db;
        let (_, _) = setup(db);
        let street = "500103001"; // 七星岗街道
        let tree = minzheng_kernel::region::RegionTree::chongqing();
        let code = minzheng_kernel::region::RegionCode::parse(street).unwrap();
        let communities: Vec<String> = registry::urban_communities(tree, code, d("2020-12-31"))
            .unwrap()
            .into_iter()
            .collect();
        let n = communities.len() as i64;
        assert!(n >= 3, "{communities:?}");
        let admin = Principal::system("test");
        let fac = |c: &str, social: bool, beds: i64, opened: &str, op: &str| NewInstitution {
            kind: "station".into(),
            name: format!("{c}养老服务站"),
            operator: op.into(),
            socially_operated: social,
            credit_code: None,
            address: "x".into(),
            region_code: c.into(),
            licence_kind: None,
            licence_no: None,
            beds,
            resident_count: 0,
            staff_count: 0,
            opened_on: d(opened),
        };
        db.write(|tx| -> Result<(), InstitutionsError> {
            registry::register(
                tx,
                &admin,
                &fac(&communities[0], true, 10, "2020-03-01", "public"),
            )?;
            registry::register(
                tx,
                &admin,
                &fac(&communities[0], false, 5, "2020-05-01", "public"),
            )?;
            registry::register(
                tx,
                &admin,
                &fac(&communities[1], true, 20, "2019-06-01", "public"),
            )?;
            // Opened after the date: not counted as open, but counted in its year's new beds.
            registry::register(
                tx,
                &admin,
                &fac(&communities[2], false, 8, "2021-02-01", "public"),
            )?;
            let mut p = new_inst("七星岗民办养老院", "500103001006", 3);
            p.operator = "private".into();
            p.kind = "elderly_home".into();
            p.beds = 60;
            p.opened_on = d("2020-07-01");
            registry::register(tx, &admin, &p)?;
            Ok(())
        })
        .unwrap();
        let c = db
            .read(|tx| registry::coverage(tx, &admin, street, d("2020-12-31"), 2019..=2021))
            .unwrap();
        assert_eq!(c.urban_communities, n);
        assert_eq!(c.covered_communities, 2);
        assert_eq!(c.coverage_bp, Some((20000 * 2 + n) / (2 * n)));
        assert_eq!(
            (c.facilities, c.socially_operated, c.socially_operated_bp),
            (3, 2, Some(6667))
        );
        // The setup's 渝中区 home (500103001003) lies in this street too.
        assert_eq!(c.institutions, 2);
        let years: Vec<(i32, i64, i64)> = c
            .years
            .iter()
            .map(|y| (y.year, y.new_beds, y.new_private_institutions))
            .collect();
        assert_eq!(years, vec![(2019, 120, 0), (2020, 75, 1), (2021, 8, 0)]);
        assert_eq!(rules::bp_text(c.socially_operated_bp), "66.67%");
        // Closing the only facility of communities[1] uncovers it from that day on.
        let third: i64 = db
            .read(|tx: &mut Tx<'_>| {
                tx.query_one(
                    "SELECT id FROM institution WHERE region_code = $1 AND category = 'community_care_facility'",
                    params![communities[1].clone()],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        err(db.write(|tx| registry::close(tx, &admin, third, d("2019-01-01"))));
        db.write(|tx| registry::close(tx, &admin, third, d("2021-01-01")))
            .unwrap();
        let later = db
            .read(|tx| registry::coverage(tx, &admin, street, d("2021-01-01"), 2021..=2021))
            .unwrap();
        assert_eq!((later.covered_communities, later.facilities), (1, 2));
        let before = db
            .read(|tx| registry::coverage(tx, &admin, street, d("2020-12-31"), 2020..=2020))
            .unwrap();
        assert_eq!(before.covered_communities, 2);
        // A 沙坪坝区 account does not see 渝中区 figures.
        let spb = who(Role::DistrictAdmin, "500106", None);
        assert!(matches!(
            db.read(|tx| registry::coverage(tx, &spb, street, d("2020-12-31"), 2020..=2020)),
            Err(InstitutionsError::NotFound)
        ));
        // Registration refusals: a bad credit code, a facility above community level.
        let mut bad = new_inst("坏代码", "500103001003", 9);
        bad.credit_code = Some("52500103MJ0000000X".into());
        assert!(err(db.write(|tx| registry::register(tx, &admin, &bad))).contains("信用代码"));
        let mut f = fac(street, false, 1, "2020-01-01", "public");
        f.region_code = "500103001000".into();
        assert!(err(db.write(|tx| registry::register(tx, &admin, &f))).contains("社区"));
    }
}

#[test]
fn a_major_decision_needs_legal_review_and_is_published_masked() {
    for t in databases("inst_legal") {
        let db = &t.db;
        let (a, _) = setup(db);
        let inspector = who(Role::DistrictAdmin, "500103", None);
        let reviewer = who(Role::DistrictReviewer, "500103", None);
        let mut n = enforcement::NewCase {
            institution_id: a,
            title: "未落实消防安全责任".into(),
            facts: "消防通道堆放杂物".into(),
            persons: vec!["张三丰".into()],
            officers: vec!["执法员甲".into()],
            major: true,
            opened_on: d("2020-09-21"),
        };
        assert!(err(db.write(|tx| enforcement::open(tx, &inspector, &n))).contains("不少于 2 人"));
        n.officers.push("执法员乙".into());
        let case = db
            .write(|tx| enforcement::open(tx, &inspector, &n))
            .unwrap();
        let decision =
            "对负责人张三丰（身份证号500103197001011234，电话13912345678）处以罚款20000元";
        let m = err(
            db.write(|tx| enforcement::decide(tx, &inspector, case, decision, d("2020-09-27")))
        );
        assert!(m.contains("法制审核"), "{m}");
        assert_eq!(
            db.read(|tx| enforcement::get(tx, &inspector, case))
                .unwrap()
                .status,
            "open"
        );
        // The inspecting side cannot review its own case.
        assert!(matches!(
            db.write(|tx| enforcement::legal_review(tx, &inspector, case, true, "同意")),
            Err(InstitutionsError::Access(_))
        ));
        db.write(|tx| enforcement::legal_review(tx, &reviewer, case, false, "证据不足"))
            .unwrap();
        err(db.write(|tx| enforcement::decide(tx, &inspector, case, decision, d("2020-09-27"))));
        db.write(|tx| enforcement::legal_review(tx, &reviewer, case, true, "事实清楚，证据确凿"))
            .unwrap();
        // A recording with its hash.
        let png = b"\x89PNG\r\n\x1a\n0000recording".to_vec();
        db.write(|tx| {
            enforcement::add_record(
                tx,
                &inspector,
                case,
                "evidence",
                "现场照片",
                Some(("a.png", &png)),
            )
        })
        .unwrap();
        let due = db
            .write(|tx| enforcement::decide(tx, &inspector, case, decision, d("2020-09-27")))
            .unwrap();
        // 7 working days after Sun 2020-09-27 (a make-up day, not counted): 09-28, 09-29, 09-30,
        // then the 国庆+中秋 break 10-01..10-08, then 10-09, Sat 10-10 (make-up), 10-12, 10-13.
        assert_eq!(due, d("2020-10-13"));
        let c = db
            .read(|tx| enforcement::get(tx, &inspector, case))
            .unwrap();
        assert!(!c.publication_overdue(d("2020-10-13")));
        assert!(c.publication_overdue(d("2020-10-14")));
        let text = db
            .write(|tx| enforcement::publish(tx, &inspector, case, d("2020-10-12")))
            .unwrap();
        assert!(
            text.contains("张*丰")
                && text.contains("500103********1234")
                && text.contains("139****5678"),
            "{text}"
        );
        assert!(!text.contains("张三丰"));
        let recs = db
            .read(|tx| enforcement::records(tx, &inspector, case))
            .unwrap();
        let steps: Vec<&str> = recs.iter().map(|r| r.step.as_str()).collect();
        assert_eq!(
            steps,
            vec!["start", "review", "review", "evidence", "decision"]
        );
        use sha2::Digest;
        assert_eq!(
            recs[3].sha256.as_deref(),
            Some(hex::encode(sha2::Sha256::digest(&png)).as_str())
        );
    }
}

#[test]
fn the_draw_is_recorded_and_rechecks_and_findings_get_a_workday_deadline() {
    for t in databases("inst_draw") {
        let db = &t.db;
        let (a, _) = setup(db);
        let admin = who(Role::DistrictAdmin, "500103", None);
        db.write(|tx| -> Result<(), InstitutionsError> {
            for i in 0..4 {
                inspections::add_inspector(
                    tx,
                    &admin,
                    &format!("执法员{i}"),
                    &format!("渝执{i:04}"),
                    "500103",
                )?;
            }
            Ok(())
        })
        .unwrap();
        err(db.write(|tx| inspections::draw(tx, &admin, "500103", d("2020-09-01"), 1, 1, Some(7))));
        let draw = db
            .write(|tx| {
                inspections::draw(tx, &admin, "500103", d("2020-09-01"), 1, 2, Some(20200901))
            })
            .unwrap();
        assert_eq!(draw.picks.len(), 1);
        assert_eq!(draw.picks[0].0, a);
        assert!(
            db.read(|tx| inspections::recheck(tx, &admin, draw.id))
                .unwrap()
        );
        let insp = draw.picks[0].2;
        let deadline = db
            .write(|tx| inspections::record(tx, &admin, insp, d("2020-09-27"), "灭火器过期", None))
            .unwrap();
        // 10 working days after 2020-09-27: the 7 above to 10-13, then 10-14, 10-15, 10-16.
        assert_eq!(deadline, Some(d("2020-10-16")));
        let l = db
            .read(|tx| inspections::list(tx, &admin, d("2020-10-20")))
            .unwrap();
        assert!(l[0].overdue);
        db.write(|tx| inspections::follow_up(tx, &admin, insp, d("2020-10-20"), "已更换"))
            .unwrap();
        assert_eq!(
            db.read(|tx| inspections::list(tx, &admin, d("2020-10-20")))
                .unwrap()[0]
                .status,
            "closed"
        );
    }
}

#[test]
fn measures_are_confirmed_with_evidence_and_compliance_is_per_district() {
    for t in databases("inst_policy") {
        let db = &t.db;
        let (a, _) = setup(db);
        let admin = Principal::system("test");
        let staff = who(Role::InstitutionStaff, "500103", Some(a));
        let (m1, g) = db
            .write(|tx| -> Result<_, InstitutionsError> {
                let m1 = policy::issue(
                    tx,
                    &admin,
                    &policy::NewDocument {
                        kind: "measure".into(),
                        number: "渝民〔2020〕1号-1".into(),
                        title: "实行封闭管理".into(),
                        body: String::new(),
                        issued_on: d("2020-01-25"),
                    },
                )?;
                policy::issue(
                    tx,
                    &admin,
                    &policy::NewDocument {
                        kind: "enhanced_measure".into(),
                        number: "渝民〔2020〕2号-1".into(),
                        title: "工作人员轮班".into(),
                        body: String::new(),
                        issued_on: d("2020-02-05"),
                    },
                )?;
                let g = policy::issue(
                    tx,
                    &admin,
                    &policy::NewDocument {
                        kind: "guidance".into(),
                        number: "渝民〔2020〕3号".into(),
                        title: "指引".into(),
                        body: String::new(),
                        issued_on: d("2020-02-05"),
                    },
                )?;
                Ok((m1, g))
            })
            .unwrap();
        err(db.write(|tx| policy::confirm(tx, &staff, g, "已落实", d("2020-02-06"))));
        err(db.write(|tx| policy::confirm(tx, &staff, m1, " ", d("2020-02-06"))));
        db.write(|tx| policy::confirm(tx, &staff, m1, "门岗登记簿照片", d("2020-02-06")))
            .unwrap();
        err(db.write(|tx| policy::confirm(tx, &staff, m1, "重复", d("2020-02-06"))));
        let c = db.read(|tx| policy::compliance(tx, &admin)).unwrap();
        let yz = c.iter().find(|c| c.district == "500103").unwrap();
        assert_eq!(
            (yz.institutions, yz.items, yz.confirmed, yz.share_bp),
            (1, 2, 1, Some(5000))
        );
        let spb = c.iter().find(|c| c.district == "500106").unwrap();
        assert_eq!((spb.confirmed, spb.share_bp), (0, Some(0)));
    }
}
