//! The rules of RULES.md §8, pure: who may book or register on a given day, where, and when a
//! divorce's cooling-off ends. Every number comes from the dated parameters; nothing here reads the
//! database or the clock.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use minzheng_kernel::calendar::Calendar;
use minzheng_kernel::id_number::{IdNumber, Sex};
use minzheng_kernel::params::ParamSet;

/// What a couple comes to the office for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 结婚登记.
    Marriage,
    /// 协议离婚：申请（受理后进入冷静期）.
    Divorce,
    /// 协议离婚：冷静期满后双方到场申请发证.
    DivorceCompletion,
    /// 补领结婚证或离婚证.
    Reissue,
}

impl Kind {
    /// Every kind, for forms.
    pub const ALL: [Kind; 4] = [
        Kind::Marriage,
        Kind::Divorce,
        Kind::DivorceCompletion,
        Kind::Reissue,
    ];

    /// The identifier stored in `appointment.kind`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Marriage => "marriage",
            Kind::Divorce => "divorce",
            Kind::DivorceCompletion => "divorce_completion",
            Kind::Reissue => "reissue",
        }
    }

    /// The Chinese name citizens know it by.
    pub fn name_zh(self) -> &'static str {
        match self {
            Kind::Marriage => "结婚登记",
            Kind::Divorce => "离婚登记申请",
            Kind::DivorceCompletion => "离婚登记（冷静期满发证）",
            Kind::Reissue => "补领婚姻登记证",
        }
    }

    /// The service code an office lists when it offers this kind.
    pub fn service(self) -> &'static str {
        match self {
            Kind::Marriage => "marriage",
            Kind::Divorce | Kind::DivorceCompletion => "divorce",
            Kind::Reissue => "reissue",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == s)
    }
}

/// The status of an appointment.
pub mod status {
    /// Booked, not yet at the desk.
    pub const BOOKED: &str = "booked";
    /// Cancelled by the citizen.
    pub const CANCELLED: &str = "cancelled";
    /// Both parties checked in at the desk.
    pub const CHECKED_IN: &str = "checked_in";
    /// Done: registered, application received or certificate reissued.
    pub const DONE: &str = "done";
    /// Refused at the desk with a legal reason.
    pub const REFUSED: &str = "refused";
    /// Nobody came.
    pub const NO_SHOW: &str = "no_show";

    /// The Chinese label of a stored status.
    pub fn label_zh(s: &str) -> &'static str {
        match s {
            BOOKED => "已预约",
            CANCELLED => "已取消",
            CHECKED_IN => "已签到",
            DONE => "已办结",
            REFUSED => "不予办理",
            NO_SHOW => "未到场",
            _ => "未知",
        }
    }
}

/// A refusal of the rules, in Chinese for the person concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

fn param_i64(params: &ParamSet, key: &str, region: &str, date: NaiveDate) -> Result<i64, Refusal> {
    params
        .value_of(key, region, date)
        .map(|r| r.value.amount())
        .map_err(|e| Refusal(format!("参数 {key} 在 {date} 无取值：{e}")))
}

/// Reads one parameter's integer value (days, hours, counts, years, switches).
pub fn parameter(params: &ParamSet, key: &str, date: NaiveDate) -> Result<i64, Refusal> {
    param_i64(params, key, "500000", date)
}

/// One party as booked: name, ID number and the county of their household registration.
#[derive(Debug, Clone)]
pub struct Party {
    /// Name as on the ID card.
    pub name: String,
    /// The validated ID number.
    pub id: IdNumber,
    /// The 6-digit code of the county (区县) of the 户籍.
    pub hukou: String,
}

/// The checks of booking and of the desk, on the registration date (RULES §8.1, §8.2, §8.4):
/// the parties differ; for a marriage, one man and one woman, each of full age on that day.
pub fn check_parties(
    kind: Kind,
    a: &Party,
    b: &Party,
    on: NaiveDate,
    params: &ParamSet,
) -> Result<(), Refusal> {
    if a.id.as_str() == b.id.as_str() {
        return Err(Refusal(
            "双方身份证号码相同：登记须由两个不同的人办理".into(),
        ));
    }
    if a.name.trim().is_empty() || b.name.trim().is_empty() {
        return Err(Refusal("请填写双方姓名".into()));
    }
    if kind != Kind::Marriage {
        return Ok(());
    }
    if a.id.sex() == b.id.sex() {
        return Err(Refusal(
            "结婚登记须为男女双方（民法典第一千零四十九条）".into(),
        ));
    }
    for p in [a, b] {
        let (key, label) = match p.id.sex() {
            Sex::Male => ("marriage.min_age.male", "男"),
            Sex::Female => ("marriage.min_age.female", "女"),
        };
        let min = param_i64(params, key, "500000", on)?;
        let age = i64::from(p.id.age_on(on).unwrap_or(0));
        if age < min {
            return Err(Refusal(format!(
                "{}（{label}）在登记日 {on} 为 {age} 周岁，未达法定婚龄 {min} 周岁（民法典第一千零四十七条）",
                p.name.trim()
            )));
        }
    }
    Ok(())
}

/// Whether an office whose jurisdiction is `office_region` (a code prefix: a county, or `50` for
/// the city-level office) may serve the couple on `on`: where either party's 户籍 is, until the
/// 2025 revision made registration nationwide (parameter `marriage.registration.nationwide`).
pub fn office_may_serve(
    office_region: &str,
    a: &Party,
    b: &Party,
    on: NaiveDate,
    params: &ParamSet,
) -> Result<(), Refusal> {
    let nationwide = param_i64(params, "marriage.registration.nationwide", "500000", on)? == 1;
    if nationwide {
        return Ok(());
    }
    if a.hukou.starts_with(office_region) || b.hukou.starts_with(office_region) {
        return Ok(());
    }
    Err(Refusal(format!(
        "{on} 适用《婚姻登记条例》（2003）第四条：应在一方常住户口所在地的婚姻登记机关办理，本登记处不能受理（2025-05-10 起全国通办）"
    )))
}

/// The validated 户籍 county code of a party, from a form (6 digits of Chongqing).
pub fn parse_hukou(input: &str) -> Result<String, Refusal> {
    let s = input.trim();
    if s.len() == 6 && s.starts_with("50") && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(Refusal(format!(
            "户籍所在区县代码“{s}”无效：应为 6 位重庆区县代码"
        )))
    }
}

/// China Standard Time, fixed at UTC+8.
pub fn china_instant(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(time) - Duration::hours(8);
    Utc.from_utc_datetime(&local)
}

/// When the places of `day` are released: `release_lead_days` before, at `release_hour` (Beijing time).
pub fn release_at(day: NaiveDate, params: &ParamSet) -> Result<DateTime<Utc>, Refusal> {
    let lead = param_i64(
        params,
        "marriage.appointment.release_lead_days",
        "500000",
        day,
    )?;
    let hour = param_i64(params, "marriage.appointment.release_hour", "500000", day)?;
    let time = NaiveTime::from_hms_opt(u32::try_from(hour.clamp(0, 23)).unwrap_or(8), 0, 0)
        .unwrap_or(NaiveTime::MIN);
    Ok(china_instant(day - Duration::days(lead), time))
}

/// Whether an office opens on `day` by the calendar (working days, make-up days included), before
/// special dates and suspensions.
pub fn calendar_open(cal: &Calendar, day: NaiveDate) -> bool {
    cal.is_workday(day)
}

/// The dates of a divorce by agreement received on `received_on` (RULES §8.3): the cooling-off
/// ends `cooling_off.days` after, counted from the next day and rolled past rest days; the couple
/// must then appear together by `completion_window_days` after that, rolled the same way. With
/// no cooling-off (before 2021) both dates are the day itself.
pub fn cooling_off(
    received_on: NaiveDate,
    cal: &Calendar,
    params: &ParamSet,
) -> Result<(NaiveDate, NaiveDate), Refusal> {
    let days = param_i64(params, "marriage.cooling_off.days", "500000", received_on)?;
    if days <= 0 {
        return Ok((received_on, received_on));
    }
    let window = param_i64(
        params,
        "marriage.cooling_off.completion_window_days",
        "500000",
        received_on,
    )?;
    let cool_end = cal
        .civil_code_deadline(received_on, u32::try_from(days).unwrap_or(30))
        .map_err(|e| Refusal(format!("冷静期无法计算：{e}")))?
        .date;
    let window_end = cal
        .civil_code_deadline(cool_end, u32::try_from(window).unwrap_or(30))
        .map_err(|e| Refusal(format!("发证期限无法计算：{e}")))?
        .date;
    Ok((cool_end, window_end))
}

/// The certificate number: kind prefix (J 结婚, L 离婚, BJ 补发), office code, year, sequence.
pub fn certificate_number(prefix: &str, office_code: &str, year: i32, seq: i64) -> String {
    format!("{prefix}{office_code}-{year}-{seq:06}")
}

/// The legal reasons a registrar may refuse with (code, text).
pub const REFUSAL_REASONS: &[(&str, &str)] = &[
    ("under_age", "未达法定婚龄（民法典第一千零四十七条）"),
    ("not_voluntary", "非双方完全自愿（民法典第一千零四十六条）"),
    ("married", "一方或双方已有配偶（民法典第一千零四十二条）"),
    (
        "kinship",
        "属于禁止结婚的亲属关系（民法典第一千零四十八条）",
    ),
    (
        "documents",
        "证件不全或与本人不符（婚姻登记条例第五条、第十一条）",
    ),
    (
        "no_agreement",
        "未达成离婚协议或协议未处理子女抚养、财产及债务（婚姻登记条例第十二条）",
    ),
    (
        "capacity",
        "一方为无民事行为能力或限制民事行为能力人（婚姻登记条例第十二条）",
    ),
    (
        "jurisdiction",
        "不属本登记机关管辖（婚姻登记条例第四条、第十条）",
    ),
];

/// The text of a refusal reason code.
pub fn refusal_reason(code: &str) -> Option<&'static str> {
    REFUSAL_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn cooling_off_matches_the_worked_examples() {
        let cal = Calendar::builtin();
        let params = ParamSet::builtin();
        assert_eq!(
            cooling_off(d("2021-01-04"), cal, params).unwrap().0,
            d("2021-02-03")
        );
        assert_eq!(
            cooling_off(d("2021-09-01"), cal, params).unwrap().0,
            d("2021-10-08")
        );
        assert_eq!(
            cooling_off(d("2020-06-01"), cal, params).unwrap(),
            (d("2020-06-01"), d("2020-06-01"))
        );
    }

    #[test]
    fn release_is_seven_days_ahead_at_eight_beijing_time() {
        let at = release_at(d("2020-05-20"), ParamSet::builtin()).unwrap();
        assert_eq!(
            minzheng_store::format_instant(at),
            "2020-05-13T00:00:00.000000Z"
        );
    }

    #[test]
    fn certificate_numbers_have_office_year_and_sequence() {
        assert_eq!(
            certificate_number("J", "500103", 2020, 42),
            "J500103-2020-000042"
        );
    }
}
