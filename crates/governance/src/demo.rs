//! This area's part of the demo data set: in 华一坡社区 (渝中区) and 龙泉路社区 (沙坪坝区), requests
//! standing at every step of the cycle (one referred to a department, one declined, one reopened),
//! a pact, meetings with votes, the four duty lists and tasks pushed before and after they took
//! effect. Everything goes through the services, as the demo accounts themselves would do it.

use crate::GovernanceError;
use crate::councils::{self, NewMeeting};
use crate::duty::{self, Push};
use crate::requests::{self, Decision, NewRequest, Screening};
use chrono::{Days, NaiveDate};
use minzheng_access::{Principal, Role};
use minzheng_store::{Tx, params};

fn staff(tx: &mut Tx<'_>, username: &str) -> Result<Principal, GovernanceError> {
    let a = minzheng_access::accounts::find_by_username(tx, username)?
        .ok_or_else(|| GovernanceError::Internal(format!("demo account {username} missing")))?;
    Ok(Principal {
        account_id: a.id,
        username: a.username,
        display_name: a.display_name,
        role: a.role,
        scope_code: a.scope,
        unit_id: a.unit_id,
        address: None,
        request_id: None,
    })
}

/// A demo citizen, signed up the way every citizen is: a one-time code sent to the phone.
fn citizen(tx: &mut Tx<'_>, phone: &str, name: &str) -> Result<Principal, GovernanceError> {
    let now = chrono::Utc::now();
    minzheng_access::otp::request_code(tx, phone, "demo", now)?;
    let body: String = tx
        .query_one(
            "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
            params![phone],
        )?
        .get(0)?;
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    let policy = minzheng_access::sessions::SessionPolicy::default();
    minzheng_access::otp::sign_in_with_code(tx, phone, &code, "demo", now, &policy)?
        .map_err(GovernanceError::Access)?;
    let id: i64 = tx
        .query_one(
            "SELECT id FROM account WHERE phone = $1 AND role = 'citizen'",
            params![phone],
        )?
        .get(0)?;
    Ok(Principal {
        account_id: id,
        username: format!("citizen-{phone}"),
        display_name: name.into(),
        role: Role::Citizen,
        scope_code: String::new(),
        unit_id: None,
        address: None,
        request_id: None,
    })
}

struct Place<'a> {
    community: &'a str,
    worker: Principal,
    street: Principal,
    admin: Principal,
    resident: Principal,
}

const MATTERS: &[(&str, &str)] = &[
    ("facilities", "3号楼前两盏路灯不亮，老人晚上出门不便"),
    ("environment", "垃圾分类投放点夏天异味大，希望加装除臭设备"),
    ("safety", "背街小巷边坡有落石，需要排危治理"),
    ("elderly", "社区老年食堂希望增加周末供餐"),
    ("facilities", "单元楼道扶手松动，需要加固"),
    ("neighbours", "楼上住户夜间装修噪音扰民"),
    ("facilities", "小区健身器材损坏"),
    ("environment", "雨季下水道返水，积水严重"),
    ("other", "希望在活动室开设书法班"),
    ("facilities", "小区大门门禁经常失灵"),
    ("safety", "电动车在楼道充电，存在火灾隐患"),
];

/// Walks one request up to `steps` acts past 收单 (0 = stays at 收单).
fn walk(
    tx: &mut Tx<'_>,
    p: &Place<'_>,
    n: usize,
    steps: usize,
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    let (category, text) = MATTERS[n % MATTERS.len()];
    let by_citizen = n.is_multiple_of(2);
    let id = requests::raise(
        tx,
        if by_citizen { &p.resident } else { &p.worker },
        &NewRequest {
            community: p.community.into(),
            channel: if n.is_multiple_of(3) {
                "meeting".into()
            } else {
                "behalf".into()
            },
            category: category.into(),
            description: text.into(),
            raiser_name: if by_citizen {
                String::new()
            } else {
                ["刘桂芳", "陈志强", "黄晓梅"][n % 3].into()
            },
            raiser_phone: None,
            photos: vec![],
        },
        today,
    )?;
    if steps == 0 {
        return Ok(id);
    }
    requests::screen(
        tx,
        &p.worker,
        id,
        &Screening {
            triage: "minor".into(),
            reason: "社区协调相关单位和居民共同解决".into(),
            department: None,
        },
        today,
    )?;
    if steps == 1 {
        return Ok(id);
    }
    requests::decide(
        tx,
        &p.street,
        id,
        &Decision {
            accept: true,
            reason: "涉及居民共同利益，予以受理".into(),
            owner_kind: ["cadre", "party_member", "elder"][n % 3].into(),
            owner_name: ["王建国", "李秀英", "张德福"][n % 3].into(),
            plan: "现场查看后制定方案，联系物业和施工单位实施".into(),
            budget: format!("{}", 500 + 300 * n),
            deadline_workdays: 10,
        },
        today,
    )?;
    if steps == 2 {
        return Ok(id);
    }
    let mid = councils::create_meeting(
        tx,
        &p.worker,
        &NewMeeting {
            community: p.community.into(),
            council_kind: ["coordination", "hearing", "appraisal"][n % 3].into(),
            request_id: Some(id),
            topic: format!("议定：{text}"),
            held_on: today.to_string(),
            participants: vec![
                p.worker.username.clone(),
                p.street.username.clone(),
                p.resident.username.clone(),
            ],
        },
        today,
    )?;
    councils::vote(tx, &p.worker, mid, "yes")?;
    councils::vote(tx, &p.street, mid, "yes")?;
    councils::vote(
        tx,
        &p.resident,
        mid,
        if n.is_multiple_of(2) {
            "yes"
        } else {
            "abstain"
        },
    )?;
    councils::resolve(
        tx,
        &p.worker,
        mid,
        "同意按办理方案实施",
        "到会 3 人，全部参加表决",
    )?;
    requests::deliberate(tx, &p.worker, id, mid)?;
    if steps == 3 {
        return Ok(id);
    }
    requests::publicize(tx, &p.worker, id, today)?;
    if steps == 4 {
        return Ok(id);
    }
    requests::progress(tx, &p.worker, id, 60, "材料已到位，正在施工", &[], today)?;
    if steps == 5 {
        return Ok(id);
    }
    requests::progress(tx, &p.worker, id, 100, "施工完成，已验收", &[], today)?;
    requests::complete(tx, &p.worker, id, today)?;
    if by_citizen {
        requests::rate(tx, &p.resident, id, [5, 4, 3][n % 3], "办得好")?;
    }
    if steps == 6 {
        return Ok(id);
    }
    requests::review(tx, &p.street, id, "已回访，居民认可", today)?;
    Ok(id)
}

/// Adds this area's demo records inside the demo transaction; returns one line for the report.
pub fn seed(tx: &mut Tx<'_>, today: NaiveDate) -> Result<String, GovernanceError> {
    let mut total = 0;
    for (district, community, phone, name) in [
        ("yuzhong", "500103001003", "13800000103", "周丽华"),
        ("shapingba", "500106001001", "13800000106", "吴永明"),
    ] {
        let p = Place {
            community,
            worker: staff(tx, &format!("{district}-community"))?,
            street: staff(tx, &format!("{district}-street"))?,
            admin: staff(tx, &format!("{district}-admin"))?,
            resident: citizen(tx, phone, name)?,
        };
        councils::add_pact_version(
            tx,
            &p.street,
            community,
            "居民公约",
            "爱党爱国，遵纪守法；邻里和睦，互帮互助；爱护环境，垃圾分类；文明养犬，安全用电。",
            &today
                .checked_sub_days(Days::new(400))
                .unwrap_or(today)
                .to_string(),
            today,
        )?;
        for steps in 0..=7 {
            walk(tx, &p, steps, steps, today)?;
            total += 1;
        }
        // A major matter referred to a department and awaiting its answer.
        let major = walk(tx, &p, 2, 0, today)?;
        requests::screen(
            tx,
            &p.worker,
            major,
            &Screening {
                triage: "major".into(),
                reason: "涉及地质灾害，须政府部门处置".into(),
                department: Some("区规划自然资源局".into()),
            },
            today,
        )?;
        // A private matter declined with guidance, and a closed one reopened.
        let private = walk(tx, &p, 5, 0, today)?;
        requests::screen(
            tx,
            &p.worker,
            private,
            &Screening {
                triage: "private".into(),
                reason: "属居民家庭内部事务".into(),
                department: None,
            },
            today,
        )?;
        requests::decide(
            tx,
            &p.street,
            private,
            &Decision {
                accept: false,
                reason: "属私事，已指导居民自行协商解决".into(),
                ..Default::default()
            },
            today,
        )?;
        let done = walk(tx, &p, 10, 7, today)?;
        requests::reopen(tx, &p.resident, done, "门禁又坏了", today)?;
        total += 4;

        // The four duty lists, in force for half a year; tasks pushed before and after.
        let from = today.checked_sub_days(Days::new(180)).unwrap_or(today);
        let items: Vec<(String, String)> = [
            ("self_governance", "居民公约的制定和修改"),
            ("self_governance", "社区公益事业的兴办"),
            ("assist_government", "人口普查"),
            ("assist_government", "社会救助对象的入户调查"),
            ("forbidden", "招商引资"),
            ("forbidden", "安全生产执法"),
            ("forbidden", "创建达标评比"),
            ("certificate", "居住证明"),
            ("certificate", "亲属关系证明"),
        ]
        .iter()
        .map(|(k, n)| ((*k).into(), (*n).into()))
        .collect();
        duty::adopt(tx, &p.admin, community, &from.to_string(), &items, today)?;
        let before = from.checked_sub_days(Days::new(30)).unwrap_or(from);
        for (title, kind, day) in [
            ("招商引资年度任务分解", "task", before),
            ("安全生产执法检查", "task", before),
            ("第七次人口普查入户登记", "task", before),
            ("无犯罪记录证明", "certificate", before),
            ("招商引资签约任务", "task", today),
            ("文明城区创建达标评比材料", "task", today),
            ("社会救助对象的入户调查", "task", today),
            ("居住证明", "certificate", today),
            ("无犯罪记录证明", "certificate", today),
        ] {
            duty::push(
                tx,
                &p.admin,
                &Push {
                    community: community.into(),
                    kind: kind.into(),
                    title: title.into(),
                    department: "区级部门".into(),
                },
                day,
            )?;
        }
    }
    Ok(format!(
        "基层治理：{total} 件居民诉求（各环节均有），2 个社区的居民公约、议事会议与四张清单，18 件派发事项"
    ))
}
