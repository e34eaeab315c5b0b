//! This area's part of the demo data set: institutions and facilities in 渝中区 and 沙坪坝区
//! (unit 1 is 渝中区社会福利院, unit 2 沙坪坝区社会福利院, as the demo accounts expect), residents,
//! staff and gate shifts, a week of health reports, an open delivery at the gate, the 2020 order
//! (lifted), risk levels, the policy library with confirmations, inspectors, a draw and a case.

use crate::registry::{self, NewInstitution};
use crate::{InstitutionsError, enforcement, epidemic, gate, inspections, people, policy, reports};
use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_kernel::credit_code::{CreditCode, RegistrationAuthority};
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::Tx;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn credit(region6: &str, n: u32) -> Result<String, InstitutionsError> {
    CreditCode::generate(
        RegistrationAuthority::CivilAffairs,
        '2',
        region6,
        &format!("D{n:07}"),
    )
    .map(|c| c.as_str().to_owned())
    .map_err(|e| InstitutionsError::Internal(e.to_string()))
}

/// Who acts for an institution in the demo: its staff account.
fn staff_of(username: &str, district: &str, unit: i64) -> Principal {
    Principal {
        account_id: 0,
        username: username.into(),
        display_name: "门岗值班员".into(),
        role: Role::InstitutionStaff,
        scope_code: district.into(),
        unit_id: Some(unit),
        address: None,
        request_id: None,
    }
}

/// Adds this area's demo records inside the demo transaction; returns one line for the report.
pub fn seed(tx: &mut Tx<'_>, today: NaiveDate) -> Result<String, InstitutionsError> {
    let system = Principal::system("demo");
    let inst = |kind: &str,
                name: &str,
                op: &str,
                region: &str,
                n: u32,
                beds: i64,
                residents: i64,
                staff: i64,
                opened: &str|
     -> Result<NewInstitution, InstitutionsError> {
        Ok(NewInstitution {
            kind: kind.into(),
            name: name.into(),
            operator: op.into(),
            socially_operated: false,
            credit_code: Some(credit(&region[..6], n)?),
            address: format!("{name}大门"),
            region_code: region.into(),
            licence_kind: Some(if op == "private" { "filing" } else { "licence" }.into()),
            licence_no: Some(format!("渝民养〔{}〕{n}号", &opened[..4])),
            beds,
            resident_count: residents,
            staff_count: staff,
            opened_on: day(opened),
        })
    };
    // Units 1 and 2 first: the demo accounts' unit_id points at them.
    let yz = registry::register(
        tx,
        &system,
        &inst(
            "welfare_home",
            "渝中区社会福利院",
            "public",
            "500103001003",
            1,
            300,
            246,
            81,
            "2005-06-01",
        )?,
    )?;
    let spb = registry::register(
        tx,
        &system,
        &inst(
            "welfare_home",
            "沙坪坝区社会福利院",
            "public",
            "500106001001",
            2,
            260,
            198,
            70,
            "2008-03-01",
        )?,
    )?;
    if (yz, spb) != (1, 2) {
        return Err(InstitutionsError::Internal(format!(
            "demo institutions got ids {yz} and {spb}, not 1 and 2: the database was not empty"
        )));
    }
    let mut units = vec![yz, spb];
    units.push(registry::register(
        tx,
        &system,
        &inst(
            "elderly_home",
            "渝中区康乐养老院",
            "private",
            "500103001006",
            3,
            120,
            96,
            30,
            "2019-05-01",
        )?,
    )?);
    units.push(registry::register(
        tx,
        &system,
        &inst(
            "elderly_home",
            "沙坪坝区颐年养老中心",
            "public_private",
            "500106001001",
            4,
            180,
            150,
            45,
            "2020-07-01",
        )?,
    )?);
    units.push(registry::register(
        tx,
        &system,
        &inst(
            "relief_station",
            "沙坪坝区救助管理站",
            "public",
            "500106001001",
            5,
            40,
            6,
            12,
            "2003-08-01",
        )?,
    )?);
    let facilities = [
        (
            "center",
            "华一坡社区养老服务中心",
            "500103001003",
            true,
            20,
            "2019-09-01",
        ),
        (
            "station",
            "临华路社区养老服务站",
            "500103001006",
            false,
            8,
            "2020-04-01",
        ),
        (
            "station",
            "领事巷社区养老服务站",
            "500103001011",
            true,
            6,
            "2021-03-01",
        ),
        (
            "center",
            "龙泉路社区养老服务中心",
            "500106001001",
            true,
            24,
            "2019-11-01",
        ),
    ];
    for (kind, name, region, social, beds, opened) in facilities {
        units.push(registry::register(
            tx,
            &system,
            &NewInstitution {
                kind: kind.into(),
                name: name.into(),
                operator: "public".into(),
                socially_operated: social,
                credit_code: None,
                address: name.into(),
                region_code: region.into(),
                licence_kind: None,
                licence_no: None,
                beds,
                resident_count: 0,
                staff_count: 0,
                opened_on: day(opened),
            },
        )?);
    }

    // Residents and staff of units 1 and 2.
    let yz_staff = staff_of("yuzhong-institution", "500103", yz);
    let spb_staff = staff_of("shapingba-institution", "500106", spb);
    let names = ["王德福", "李秀英", "张桂兰", "刘长寿", "陈淑芬", "杨光明"];
    let mut first_resident = 0;
    for (who, region6) in [(&yz_staff, "500103"), (&spb_staff, "500106")] {
        for (i, name) in names.iter().enumerate() {
            let id = IdNumber::generate(
                region6,
                day(&format!("19{}-0{}-1{}", 38 + i, 1 + i % 9, i % 9)),
                11 + i as u16,
            )
            .map_err(|e| InstitutionsError::Internal(e.to_string()))?;
            let r = people::admit(
                tx,
                who,
                &people::NewResident {
                    name: (*name).into(),
                    id_number: id.as_str().into(),
                    care_level: people::CARE_LEVELS[i % 4].0.into(),
                    area: if i % 2 == 0 { "一号楼" } else { "二号楼" }.into(),
                    room: format!("{}0{}", 1 + i % 3, 1 + i),
                    admitted_on: day("2018-06-01"),
                },
            )?;
            if first_resident == 0 {
                first_resident = r;
            }
        }
        let gatekeeper = people::add_staff(tx, who, "周门卫", "门岗", Some("13500000001"))?;
        people::add_staff(tx, who, "吴护理", "护理员", None)?;
        for back in 0..3 {
            let d = today - chrono::Days::new(back);
            people::add_shift(tx, who, gatekeeper, "gate", d, "08:00", "20:00")?;
        }
    }

    // The 2020 wave: the city's order (lifted), and the district risk levels.
    let order = epidemic::issue(
        tx,
        &system,
        &epidemic::NewOrder {
            title: "关于全市民政服务机构实行封闭管理的通知".into(),
            issuer: "重庆市民政局".into(),
            from_date: day("2020-01-25"),
            regions: vec!["50".into()],
            kinds: vec![],
        },
    )?;
    epidemic::lift(
        tx,
        &system,
        order,
        day("2020-05-06"),
        "疫情防控进入常态化，有序解除封闭管理",
    )?;
    for (d, level) in [("500103", "low"), ("500106", "low")] {
        epidemic::set_risk_level(tx, &system, d, day("2020-02-24"), level)?;
    }

    // A week of health reports (unit 5 misses today's, so the dashboard shows a missing one).
    for &u in &units {
        let (region6, uname) = if u == spb || u == 4 || u == 5 || u == 9 {
            ("500106", "demo-spb")
        } else {
            ("500103", "demo-yz")
        };
        let who = staff_of(uname, region6, u);
        for back in 0..7 {
            if back == 0 && u == 5 {
                continue;
            }
            reports::submit_health_report(
                tx,
                &who,
                &reports::NewHealthReport {
                    institution_id: u,
                    report_date: today - chrono::Days::new(back),
                    residents_fever: 0,
                    residents_symptoms: i64::from(back == 3 && u == yz),
                    staff_fever: 0,
                    staff_symptoms: 0,
                    in_isolation: i64::from(u == yz) * 2,
                    tested: 10,
                },
                today,
            )?;
        }
    }

    // An open delivery at 渝中区社会福利院's gate, and one already collected.
    let done = gate::log_delivery(
        tx,
        &yz_staff,
        &gate::NewDelivery {
            sender_name: "王小明".into(),
            sender_phone: "13812345678".into(),
            items: "纯牛奶一箱、苹果两斤".into(),
            resident_id: first_resident,
        },
    )?;
    gate::disinfect(tx, &yz_staff, done, "75%酒精擦拭外包装，静置30分钟")?;
    gate::collect(tx, &yz_staff, done, "一号楼护理员吴护理")?;
    gate::log_delivery(
        tx,
        &yz_staff,
        &gate::NewDelivery {
            sender_name: "李红".into(),
            sender_phone: "13987654321".into(),
            items: "降压药两盒、成人纸尿裤一包".into(),
            resident_id: first_resident + 1,
        },
    )?;

    // The policy library: measures institutions confirm, guidance that they read.
    let docs = [
        (
            "measure",
            "渝民发〔2020〕1号-1",
            "全面实行封闭管理，暂停探视",
        ),
        ("measure", "渝民发〔2020〕1号-2", "工作人员实行轮班封闭值守"),
        (
            "enhanced_measure",
            "渝民发〔2020〕5号-1",
            "外出返回人员隔离观察14天",
        ),
        (
            "guidance",
            "渝民办〔2020〕12号",
            "养老机构新冠肺炎疫情防控指南",
        ),
        ("list", "渝民办〔2020〕20号", "防控物资储备清单"),
    ];
    let mut measures = Vec::new();
    for (kind, number, title) in docs {
        let id = policy::issue(
            tx,
            &system,
            &policy::NewDocument {
                kind: kind.into(),
                number: number.into(),
                title: title.into(),
                body: String::new(),
                issued_on: day("2020-01-25"),
            },
        )?;
        if kind.ends_with("measure") {
            measures.push(id);
        }
    }
    for &m in &measures {
        policy::confirm(
            tx,
            &yz_staff,
            m,
            "门岗登记簿与封闭值守排班表已上传",
            day("2020-01-27"),
        )?;
    }
    policy::confirm(
        tx,
        &spb_staff,
        measures[0],
        "大门封闭照片",
        day("2020-01-27"),
    )?;

    // Inspectors, a recorded 双随机 draw with its inspection, and an enforcement case.
    for (i, (name, region)) in [
        ("赵执法", "500103"),
        ("钱执法", "500103"),
        ("孙执法", "500106"),
        ("李执法", "500106"),
    ]
    .iter()
    .enumerate()
    {
        inspections::add_inspector(tx, &system, name, &format!("渝民执{:04}", i + 1), region)?;
    }
    let draw = inspections::draw(tx, &system, "500103", today, 2, 2, Some(20_200_125))?;
    if let Some((_, _, first)) = draw.picks.first() {
        inspections::record(
            tx,
            &system,
            *first,
            today,
            "消防通道堆放杂物；应急照明灯损坏",
            None,
        )?;
    }
    let case = enforcement::open(
        tx,
        &system,
        &enforcement::NewCase {
            institution_id: 3,
            title: "未按规定落实消防安全管理".into(),
            facts: "检查发现消防通道堆放杂物，经责令仍未改正".into(),
            persons: vec!["马建国".into()],
            officers: vec!["赵执法".into(), "钱执法".into()],
            major: true,
            opened_on: today,
        },
    )?;
    enforcement::add_record(tx, &system, case, "evidence", "现场检查笔录与照片", None)?;

    Ok(format!(
        "养老服务机构：{} 个机构与设施（渝中区、沙坪坝区），{} 名老人，近 7 天健康日报，门岗待领取物品 1 件",
        units.len(),
        names.len() * 2
    ))
}
