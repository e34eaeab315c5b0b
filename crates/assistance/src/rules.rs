//! The application procedure as an explicit state machine (RULES.md §1.5, DESIGN.md §4): the
//! states, the table of allowed transitions with the permission each needs, and the clock rule
//! sets. Pure: no I/O.

use minzheng_access::Action;
use minzheng_kernel::money::Fen;
use serde::Serialize;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 已提交：waiting for the completeness check.
    Submitted,
    /// 待补正：the one-time notice of everything missing was issued.
    Supplement,
    /// 已受理：the acceptance notice was issued; means check next.
    Accepted,
    /// 已核对：means check results entered; home visit next.
    MeansChecked,
    /// 已入户：home visit by at least two staff recorded.
    Visited,
    /// 评议中：appraisal meeting open.
    Appraisal,
    /// 公示中：7-day public notice.
    Notice,
    /// 异议复查：an objection is being re-investigated.
    Reinvestigation,
    /// 复查公示：3-day re-notice after the re-investigation.
    Renotice,
    /// 待审批：with the district (or the delegated street) for the decision.
    Review,
    /// 已批准.
    Approved,
    /// 不予批准.
    Refused,
    /// 已撤回.
    Withdrawn,
}

impl State {
    /// Every state, in procedure order.
    pub const ALL: [State; 13] = [
        State::Submitted,
        State::Supplement,
        State::Accepted,
        State::MeansChecked,
        State::Visited,
        State::Appraisal,
        State::Notice,
        State::Reinvestigation,
        State::Renotice,
        State::Review,
        State::Approved,
        State::Refused,
        State::Withdrawn,
    ];

    /// The stored identifier.
    pub fn id(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Supplement => "supplement",
            State::Accepted => "accepted",
            State::MeansChecked => "means_checked",
            State::Visited => "visited",
            State::Appraisal => "appraisal",
            State::Notice => "notice",
            State::Reinvestigation => "reinvestigation",
            State::Renotice => "renotice",
            State::Review => "review",
            State::Approved => "approved",
            State::Refused => "refused",
            State::Withdrawn => "withdrawn",
        }
    }

    /// From the stored identifier.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.id() == s)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Submitted => "已提交，待受理",
            State::Supplement => "待补正材料",
            State::Accepted => "已受理，待家庭经济状况核对",
            State::MeansChecked => "已核对，待入户调查",
            State::Visited => "已入户调查",
            State::Appraisal => "民主评议中",
            State::Notice => "公示中",
            State::Reinvestigation => "异议复查中",
            State::Renotice => "复查结果公示中",
            State::Review => "待审批",
            State::Approved => "已批准",
            State::Refused => "不予批准",
            State::Withdrawn => "已撤回",
        }
    }

    /// Whether the application is finished.
    pub fn is_final(self) -> bool {
        matches!(self, State::Approved | State::Refused | State::Withdrawn)
    }

    /// Whether the decision clock is paused in this state under rule sets that exclude the
    /// appraisal and notice periods.
    pub fn pauses_clock(self) -> bool {
        matches!(self, State::Appraisal | State::Notice | State::Renotice)
    }
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The completeness check finds something missing: one-time supplement notice.
    RequestSupplement,
    /// The applicant hands in what was missing.
    Resubmit,
    /// The completeness check passes: acceptance notice.
    Accept,
    /// Means check results entered.
    RecordMeansCheck,
    /// Home visit by at least two staff recorded.
    RecordHomeVisit,
    /// Appraisal meeting opened.
    OpenAppraisal,
    /// Appraisal disputed: investigate again.
    AppraisalDisputed,
    /// Preliminary opinion posted as a 7-day public notice.
    PostNotice,
    /// Notice ended without objection: to the decision.
    CloseNotice,
    /// An objection was raised: re-investigate.
    Reinvestigate,
    /// Re-investigation recorded: 3-day re-notice.
    PostRenotice,
    /// Re-notice ended: to the decision.
    CloseRenotice,
    /// A district sample (or mandatory) home visit at review.
    SampleVisit,
    /// Approve with amount and first month.
    Approve,
    /// Refuse with written reasons.
    Refuse,
    /// Emergency temporary assistance: pay first, paperwork later.
    FirstAid,
    /// The applicant (or staff for them) withdraws.
    Withdraw,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 17] = [
        Step::RequestSupplement,
        Step::Resubmit,
        Step::Accept,
        Step::RecordMeansCheck,
        Step::RecordHomeVisit,
        Step::OpenAppraisal,
        Step::AppraisalDisputed,
        Step::PostNotice,
        Step::CloseNotice,
        Step::Reinvestigate,
        Step::PostRenotice,
        Step::CloseRenotice,
        Step::SampleVisit,
        Step::Approve,
        Step::Refuse,
        Step::FirstAid,
        Step::Withdraw,
    ];

    /// The stored identifier (also the URL segment).
    pub fn id(self) -> &'static str {
        match self {
            Step::RequestSupplement => "request_supplement",
            Step::Resubmit => "resubmit",
            Step::Accept => "accept",
            Step::RecordMeansCheck => "means_check",
            Step::RecordHomeVisit => "home_visit",
            Step::OpenAppraisal => "open_appraisal",
            Step::AppraisalDisputed => "appraisal_disputed",
            Step::PostNotice => "post_notice",
            Step::CloseNotice => "close_notice",
            Step::Reinvestigate => "reinvestigate",
            Step::PostRenotice => "post_renotice",
            Step::CloseRenotice => "close_renotice",
            Step::SampleVisit => "sample_visit",
            Step::Approve => "approve",
            Step::Refuse => "refuse",
            Step::FirstAid => "first_aid",
            Step::Withdraw => "withdraw",
        }
    }

    /// From the identifier.
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|st| st.id() == s)
    }

    /// Chinese label for buttons and the timeline.
    pub fn label_zh(self) -> &'static str {
        match self {
            Step::RequestSupplement => "一次性告知补正",
            Step::Resubmit => "补正材料",
            Step::Accept => "受理",
            Step::RecordMeansCheck => "录入经济状况核对结果",
            Step::RecordHomeVisit => "录入入户调查",
            Step::OpenAppraisal => "召开民主评议",
            Step::AppraisalDisputed => "评议争议较大，重新调查",
            Step::PostNotice => "张榜公示",
            Step::CloseNotice => "公示期满无异议",
            Step::Reinvestigate => "有异议，重新调查",
            Step::PostRenotice => "复查结果公示",
            Step::CloseRenotice => "复查公示期满",
            Step::SampleVisit => "区县入户抽查",
            Step::Approve => "批准",
            Step::Refuse => "不予批准",
            Step::FirstAid => "先行救助",
            Step::Withdraw => "撤回申请",
        }
    }
}

/// Who may take a transition: staff holding an action, or the applicant on their own case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Staff with this permission, within scope.
    Staff(Action),
    /// The applicant themself (their citizen account) or staff with this permission.
    ApplicantOr(Action),
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// The step.
    pub step: Step,
    /// States it may start from.
    pub from: &'static [State],
    /// The state it leads to.
    pub to: State,
    /// Who may take it.
    pub who: Who,
}

const OPEN_STATES: &[State] = &[
    State::Submitted,
    State::Supplement,
    State::Accepted,
    State::MeansChecked,
    State::Visited,
    State::Appraisal,
    State::Notice,
    State::Reinvestigation,
    State::Renotice,
    State::Review,
];

/// The transition table: every allowed move. Anything else is refused.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        step: Step::RequestSupplement,
        from: &[State::Submitted],
        to: State::Supplement,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::Resubmit,
        from: &[State::Supplement],
        to: State::Submitted,
        who: Who::ApplicantOr(Action::CaseHandle),
    },
    Transition {
        step: Step::Accept,
        from: &[State::Submitted],
        to: State::Accepted,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::RecordMeansCheck,
        from: &[State::Accepted],
        to: State::MeansChecked,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::RecordHomeVisit,
        from: &[State::MeansChecked],
        to: State::Visited,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::OpenAppraisal,
        from: &[State::Visited],
        to: State::Appraisal,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::AppraisalDisputed,
        from: &[State::Appraisal],
        to: State::MeansChecked,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::PostNotice,
        from: &[State::Visited, State::Appraisal],
        to: State::Notice,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::CloseNotice,
        from: &[State::Notice],
        to: State::Review,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::Reinvestigate,
        from: &[State::Notice, State::Renotice],
        to: State::Reinvestigation,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::PostRenotice,
        from: &[State::Reinvestigation],
        to: State::Renotice,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::CloseRenotice,
        from: &[State::Renotice],
        to: State::Review,
        who: Who::Staff(Action::CaseHandle),
    },
    Transition {
        step: Step::SampleVisit,
        from: &[State::Review],
        to: State::Review,
        who: Who::Staff(Action::CaseDecide),
    },
    Transition {
        step: Step::Approve,
        from: &[State::Review],
        to: State::Approved,
        who: Who::Staff(Action::CaseDecide),
    },
    Transition {
        step: Step::Refuse,
        from: &[State::MeansChecked, State::Visited, State::Review],
        to: State::Refused,
        who: Who::Staff(Action::CaseDecide),
    },
    Transition {
        step: Step::FirstAid,
        from: &[State::Submitted, State::Accepted],
        to: State::Approved,
        who: Who::Staff(Action::CaseDecide),
    },
    Transition {
        step: Step::Withdraw,
        from: OPEN_STATES,
        to: State::Withdrawn,
        who: Who::ApplicantOr(Action::CaseHandle),
    },
];

/// The row for a step taken from a state, or `None` when the table does not allow it.
pub fn transition(step: Step, from: State) -> Option<&'static Transition> {
    TRANSITIONS
        .iter()
        .find(|t| t.step == step && t.from.contains(&from))
}

/// The steps the table allows from a state (the buttons a case page may show).
pub fn steps_from(from: State) -> Vec<Step> {
    TRANSITIONS
        .iter()
        .filter(|t| t.from.contains(&from))
        .map(|t| t.step)
        .collect()
}

/// Assistance programs (GLOSSARY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// 低保.
    Dibao,
    /// 特困.
    Tekun,
    /// 临时救助.
    TemporaryAssistance,
}

impl Program {
    /// Stored identifier.
    pub fn id(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
            Program::Tekun => "tekun",
            Program::TemporaryAssistance => "temporary_assistance",
        }
    }
    /// From the identifier.
    pub fn parse(s: &str) -> Option<Program> {
        match s {
            "dibao" => Some(Program::Dibao),
            "tekun" => Some(Program::Tekun),
            "temporary_assistance" => Some(Program::TemporaryAssistance),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Program::Dibao => "最低生活保障",
            Program::Tekun => "特困人员救助供养",
            Program::TemporaryAssistance => "临时救助",
        }
    }
}

/// How an application came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A citizen on the phone.
    Online,
    /// At a street or community counter, on the family's behalf.
    Counter,
    /// Found by a community worker (主动发现).
    Discovery,
}

impl Channel {
    /// Stored identifier.
    pub fn id(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Counter => "counter",
            Channel::Discovery => "discovery",
        }
    }
    /// From the identifier.
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "online" => Some(Channel::Online),
            "counter" => Some(Channel::Counter),
            "discovery" => Some(Channel::Discovery),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Online => "网上申请",
            Channel::Counter => "窗口申请",
            Channel::Discovery => "主动发现",
        }
    }
}

/// The documents an application needs (重庆条例 art. 14–15), by identifier and label.
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("application_form", "申请书"),
    ("hukou", "户口簿复印件"),
    ("id_cards", "全体成员身份证复印件"),
    ("income_proof", "收入证明"),
    ("authorization", "家庭经济状况核对授权书"),
];

/// The documents missing from a list of provided ones (the content of a one-time notice).
pub fn missing_documents(provided: &[String], authorization_signed: bool) -> Vec<&'static str> {
    DOCUMENTS
        .iter()
        .filter(|(id, _)| {
            if *id == "authorization" {
                !authorization_signed
            } else {
                !provided.iter().any(|p| p == id)
            }
        })
        .map(|(_, label)| *label)
        .collect()
}

/// The clock rule set a case is timed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSet {
    /// 重庆条例 2016: 30 日 (calendar days) from acceptance, appraisal and notice excluded.
    Cq2016,
    /// 民发〔2021〕57号: 30 working days (45 extended).
    National2021,
    /// Online fast track: 7 working days.
    FastTrack,
    /// Temporary assistance: its own working-day limit.
    Temporary,
}

impl RuleSet {
    /// Stored identifier.
    pub fn id(self) -> &'static str {
        match self {
            RuleSet::Cq2016 => "cq2016",
            RuleSet::National2021 => "national2021",
            RuleSet::FastTrack => "fast_track",
            RuleSet::Temporary => "temporary",
        }
    }
    /// From the identifier.
    pub fn parse(s: &str) -> Option<RuleSet> {
        match s {
            "cq2016" => Some(RuleSet::Cq2016),
            "national2021" => Some(RuleSet::National2021),
            "fast_track" => Some(RuleSet::FastTrack),
            "temporary" => Some(RuleSet::Temporary),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            RuleSet::Cq2016 => "重庆条例：30日（不含评议、公示期）",
            RuleSet::National2021 => "全国办法：30个工作日",
            RuleSet::FastTrack => "网上快速通道：7个工作日（不含评议、公示期）",
            RuleSet::Temporary => "临时救助办理时限",
        }
    }
    /// Whether the limit counts working days (else calendar days, civil code end rule).
    pub fn workdays(self) -> bool {
        !matches!(self, RuleSet::Cq2016)
    }
}

/// Income kinds and whether each is ever countable (RULES.md §1.2 excluded income).
pub const INCOME_KINDS: &[(&str, &str)] = &[
    ("wage", "工资性收入"),
    ("business", "经营净收入"),
    ("property", "财产净收入"),
    ("transfer", "转移净收入"),
    ("agricultural", "农业生产收入"),
    ("resident_basic_pension", "城乡居民基本养老保险基础养老金"),
    ("preferential_pension", "优待抚恤金"),
    ("family_planning", "计划生育奖励与扶助金"),
    ("scholarship", "奖学金、助学金"),
    ("award", "见义勇为等奖励性补助"),
    ("social_assistance", "政府发放的社会救助款物"),
    ("disability_subsidy", "残疾人两项补贴"),
    ("other", "其他收入"),
];

/// Income kinds never counted (the fixed part of the list; the others depend on parameters).
pub const NEVER_COUNTED: &[&str] = &[
    "preferential_pension",
    "family_planning",
    "scholarship",
    "award",
    "social_assistance",
];

/// Asset kinds.
pub const ASSET_KINDS: &[(&str, &str)] = &[
    ("deposit", "银行存款"),
    ("securities", "有价证券"),
    ("vehicle", "机动车辆"),
    ("vessel", "船舶"),
    ("housing", "房屋"),
    ("business", "经营性资产"),
    ("claim", "债权"),
    ("other", "其他财产"),
];

/// Relations to the head of household.
pub const RELATIONS: &[(&str, &str)] = &[
    ("head", "户主"),
    ("spouse", "配偶"),
    ("child", "子女"),
    ("parent", "父母"),
    ("sibling", "兄弟姐妹"),
    ("grandchild", "孙子女"),
    ("grandparent", "祖父母"),
    ("other", "其他"),
];

/// Why a member is not counted (RULES.md §1.2), `none` when counted.
pub const EXCLUSIONS: &[(&str, &str)] = &[
    ("none", "计入"),
    ("unmarried_soldier", "未婚现役军人"),
    ("clergy_away", "宗教教职人员（离家）"),
    ("prisoner", "服刑人员"),
    ("compulsory_rehab", "强制隔离戒毒人员"),
    ("declared_missing", "宣告失踪人员"),
];

/// The label of an identifier in one of the lists above.
pub fn label<'a>(list: &'a [(&'a str, &'a str)], id: &str) -> &'a str {
    list.iter()
        .find(|(k, _)| *k == id)
        .map(|(_, v)| *v)
        .unwrap_or("")
}

/// Departments a one-door request may be referred to (RULES.md §5.2).
pub const DEPARTMENTS: &[(&str, &str)] = &[
    ("civil_affairs", "民政"),
    ("medical_security", "医保（医疗救助）"),
    ("education", "教育（教育救助）"),
    ("housing", "住建（住房救助）"),
    ("human_resources", "人社（就业救助）"),
    ("disabled_federation", "残联"),
    ("charity", "慈善组织"),
    ("other", "其他部门"),
];

/// The most a monthly income line or a checked monthly income may be: well above any household
/// that could apply, low enough that a slip of the finger is caught.
pub const INCOME_MAX: Fen = Fen(1_000_000_000);
/// The most one asset may be valued at.
pub const ASSET_MAX: Fen = Fen(100_000_000_000);
/// The most a temporary-assistance need may state: the grant itself is capped by the parameters;
/// this bounds what a form takes (a larger need is taken at the counter with its evidence).
pub const REQUESTED_MAX: Fen = Fen(100_000_000);

/// Longest name an objector may give.
pub const OBJECTOR_MAX_CHARS: usize = 50;
/// Longest objection.
pub const OBJECTION_MAX_CHARS: usize = 2000;
/// Objections one address may file within an hour, with or without a contact.
pub const OBJECTIONS_PER_ADDRESS_HOUR: i64 = 10;
/// Objections without a contact one address may file within an hour.
pub const ANONYMOUS_OBJECTIONS_PER_ADDRESS_HOUR: i64 = 3;
/// Objections without a contact one notice takes within a day. An objection that leaves a contact
/// is still taken beyond it: staff can call that person back, so it is never lost to a flood.
pub const ANONYMOUS_OBJECTIONS_PER_NOTICE_DAY: i64 = 20;

/// The contact an objector leaves: nothing (anonymous), a mobile number, or a fixed-line number
/// with its area code (`023-6388 1234`), in its plain digits-and-dash form.
pub fn objection_contact(input: &str) -> Result<Option<String>, String> {
    let t = input.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > 20 {
        return Err("联系方式请填写手机号或固定电话（不超过 20 位），也可不填".into());
    }
    if let Ok(mobile) = minzheng_access::otp::normalize_phone(t) {
        return Ok(Some(mobile));
    }
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let fixed = digits.starts_with('0')
        && (10..=12).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit());
    if fixed {
        return Ok(Some(t.split_whitespace().collect::<Vec<_>>().join("")));
    }
    Err("联系方式请填写手机号或带区号的固定电话（如 023-63881234），也可不填".into())
}

/// Whether one more objection is taken, given what the same address and notice sent recently.
pub fn objection_allowed(
    has_contact: bool,
    from_address_hour: i64,
    anonymous_from_address_hour: i64,
    anonymous_on_notice_day: i64,
) -> Result<(), String> {
    if from_address_hour >= OBJECTIONS_PER_ADDRESS_HOUR {
        return Err("本网络 1 小时内提交的异议过多，请稍后再试，或到街道、社区窗口当面提出".into());
    }
    if !has_contact && anonymous_from_address_hour >= ANONYMOUS_OBJECTIONS_PER_ADDRESS_HOUR {
        return Err("匿名异议提交过于频繁：请留下联系电话以便核实，或 1 小时后再试".into());
    }
    if !has_contact && anonymous_on_notice_day >= ANONYMOUS_OBJECTIONS_PER_NOTICE_DAY {
        return Err("本公示今日收到的匿名异议已达上限：请留下联系电话，您的异议仍会被受理".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objection_contacts_are_a_phone_or_nothing() {
        assert_eq!(objection_contact(" "), Ok(None));
        assert_eq!(
            objection_contact("138 0000 1234"),
            Ok(Some("13800001234".into()))
        );
        assert_eq!(
            objection_contact("023-63881234"),
            Ok(Some("023-63881234".into()))
        );
        assert!(objection_contact("x".repeat(1_900_000).as_str()).is_err());
        assert!(objection_contact("请联系我").is_err());
    }

    #[test]
    fn a_contact_lifts_the_anonymous_limits_but_not_the_address_limit() {
        assert!(objection_allowed(false, 0, 0, 0).is_ok());
        assert!(objection_allowed(false, 3, 3, 0).is_err());
        assert!(objection_allowed(true, 3, 3, 0).is_ok());
        assert!(objection_allowed(false, 0, 0, 20).is_err());
        assert!(objection_allowed(true, 0, 0, 500).is_ok());
        assert!(objection_allowed(true, 10, 0, 0).is_err());
    }

    #[test]
    fn every_open_state_can_be_withdrawn_and_final_states_cannot_move() {
        for s in State::ALL {
            assert_eq!(transition(Step::Withdraw, s).is_some(), !s.is_final());
            if s.is_final() {
                assert!(steps_from(s).is_empty());
            }
        }
        assert!(transition(Step::Approve, State::Notice).is_none());
        assert_eq!(
            transition(Step::Reinvestigate, State::Notice).map(|t| t.to),
            Some(State::Reinvestigation)
        );
    }

    #[test]
    fn missing_documents_lists_everything_at_once() {
        let m = missing_documents(&["application_form".into()], false);
        assert_eq!(m.len(), 4);
        assert!(
            missing_documents(
                &DOCUMENTS
                    .iter()
                    .map(|(d, _)| d.to_string())
                    .collect::<Vec<_>>(),
                true
            )
            .is_empty()
        );
    }
}
