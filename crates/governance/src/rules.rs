//! The pure rules of the area: the request state machine (DESIGN.md §4), quorum and majority of a
//! council meeting as exact fractions, the check of a pushed task against a community's four duty
//! lists, and the exact rates of the indicators. No I/O: the services feed these with rows.

use minzheng_access::Action;
use minzheng_kernel::money::Fen;
use serde::Serialize;

/// Where a request stands in the seven-step cycle (7单工作法); the step last completed.
/// The Chinese labels are configuration (`governance_option`, kind `step`), not these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 收单: raised and collected.
    Collect,
    /// 筛单: triaged (三事分流), a major matter referred.
    Screen,
    /// 定单: accepted with owner, plan, budget and deadline.
    Decide,
    /// 议单: deliberated in a council meeting whose resolution passed.
    Deliberate,
    /// 晒单: published on the community's public board.
    Publicize,
    /// 落单: being implemented, with progress updates.
    Implement,
    /// 修单: done (or declined); the raiser rates, the street reviews, or it is reopened.
    Revise,
    /// Reviewed and closed (or closed by a reopening that started a new cycle).
    Closed,
}

impl Step {
    /// Every state, in cycle order.
    pub const ALL: [Step; 8] = [
        Step::Collect,
        Step::Screen,
        Step::Decide,
        Step::Deliberate,
        Step::Publicize,
        Step::Implement,
        Step::Revise,
        Step::Closed,
    ];

    /// The identifier stored in `request.step` (the glossary's names).
    pub fn id(self) -> &'static str {
        match self {
            Step::Collect => "collect",
            Step::Screen => "screen",
            Step::Decide => "decide",
            Step::Deliberate => "deliberate",
            Step::Publicize => "publicize",
            Step::Implement => "implement",
            Step::Revise => "revise",
            Step::Closed => "closed",
        }
    }

    /// Parses the stored identifier.
    pub fn from_id(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.id() == s)
    }

    /// The default Chinese label (the configured one is in `governance_option`).
    pub fn default_name(self) -> &'static str {
        match self {
            Step::Collect => "收单",
            Step::Screen => "筛单",
            Step::Decide => "定单",
            Step::Deliberate => "议单",
            Step::Publicize => "晒单",
            Step::Implement => "落单",
            Step::Revise => "修单",
            Step::Closed => "已办结",
        }
    }
}

/// What can be done to a request: each is one row of [`TRANSITIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// Raise a request (收单).
    Raise,
    /// Triage it (筛单).
    Screen,
    /// Record the department's answer to a referral of a major matter.
    AnswerReferral,
    /// Accept it (定单).
    Accept,
    /// Decline it with a reason (goes straight to 修单, where it can be rated or reopened).
    Decline,
    /// Record the council meeting that deliberated it (议单).
    Deliberate,
    /// Publish it on the public board (晒单).
    Publicize,
    /// A progress update with percent done (落单).
    Progress,
    /// Mark the work done (from 100 %), moving it to 修单.
    Complete,
    /// The raiser's rating and comment.
    Rate,
    /// The street's review, which closes the cycle.
    Review,
    /// Reopen: closes this cycle and starts a new one linked to it.
    Reopen,
}

impl Act {
    /// The identifier stored in `request_event.action`.
    pub fn id(self) -> &'static str {
        match self {
            Act::Raise => "raise",
            Act::Screen => "screen",
            Act::AnswerReferral => "answer_referral",
            Act::Accept => "accept",
            Act::Decline => "decline",
            Act::Deliberate => "deliberate",
            Act::Publicize => "publicize",
            Act::Progress => "progress",
            Act::Complete => "complete",
            Act::Rate => "rate",
            Act::Review => "review",
            Act::Reopen => "reopen",
        }
    }

    /// The Chinese name of the act, for events and messages.
    pub fn name_zh(self) -> &'static str {
        match self {
            Act::Raise => "提出诉求",
            Act::Screen => "筛单分流",
            Act::AnswerReferral => "登记部门答复",
            Act::Accept => "定单受理",
            Act::Decline => "不予受理",
            Act::Deliberate => "议单",
            Act::Publicize => "晒单公开",
            Act::Progress => "登记进度",
            Act::Complete => "办结",
            Act::Rate => "评价",
            Act::Review => "复核办结",
            Act::Reopen => "重新办理",
        }
    }
}

/// One allowed transition: from which state, to which, and the permission it takes.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// The act.
    pub act: Act,
    /// The state it starts from (`None`: the request does not exist yet).
    pub from: Option<Step>,
    /// The state it leads to.
    pub to: Step,
    /// What the permission table must grant (roles.rs); `Rate` also needs the raiser himself.
    pub action: Action,
}

/// The state machine of a residents' request: every allowed transition and who may take it.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        act: Act::Raise,
        from: None,
        to: Step::Collect,
        action: Action::RequestRaise,
    },
    Transition {
        act: Act::Screen,
        from: Some(Step::Collect),
        to: Step::Screen,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::AnswerReferral,
        from: Some(Step::Screen),
        to: Step::Screen,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::Accept,
        from: Some(Step::Screen),
        to: Step::Decide,
        action: Action::GovernanceManage,
    },
    Transition {
        act: Act::Decline,
        from: Some(Step::Screen),
        to: Step::Revise,
        action: Action::GovernanceManage,
    },
    Transition {
        act: Act::Deliberate,
        from: Some(Step::Decide),
        to: Step::Deliberate,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::Publicize,
        from: Some(Step::Deliberate),
        to: Step::Publicize,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::Progress,
        from: Some(Step::Publicize),
        to: Step::Implement,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::Progress,
        from: Some(Step::Implement),
        to: Step::Implement,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::Complete,
        from: Some(Step::Implement),
        to: Step::Revise,
        action: Action::RequestHandle,
    },
    Transition {
        act: Act::Rate,
        from: Some(Step::Revise),
        to: Step::Revise,
        action: Action::RequestRaise,
    },
    Transition {
        act: Act::Review,
        from: Some(Step::Revise),
        to: Step::Closed,
        action: Action::GovernanceManage,
    },
    Transition {
        act: Act::Reopen,
        from: Some(Step::Revise),
        to: Step::Closed,
        action: Action::RequestRaise,
    },
    Transition {
        act: Act::Reopen,
        from: Some(Step::Closed),
        to: Step::Closed,
        action: Action::RequestRaise,
    },
];

/// The transition `act` takes from `from`, or why it is not allowed (in Chinese).
pub fn transition(act: Act, from: Option<Step>) -> Result<&'static Transition, String> {
    TRANSITIONS
        .iter()
        .find(|t| t.act == act && t.from == from)
        .ok_or_else(|| {
            let allowed: Vec<&str> = TRANSITIONS
                .iter()
                .filter(|t| t.act == act)
                .filter_map(|t| t.from.map(Step::default_name))
                .collect();
            format!(
                "诉求当前处于“{}”环节，不能{}（仅可在“{}”环节进行）",
                from.map(Step::default_name).unwrap_or("未提出"),
                act.name_zh(),
                allowed.join("、")
            )
        })
}

/// The acts possible from a state (what the detail page offers).
pub fn acts_from(step: Step) -> Vec<Act> {
    let mut v: Vec<Act> = TRANSITIONS
        .iter()
        .filter(|t| t.from == Some(step))
        .map(|t| t.act)
        .collect();
    v.dedup();
    v
}

/// An exact fraction `numerator / denominator` (both from dated parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fraction {
    /// Numerator.
    pub numerator: i64,
    /// Denominator (positive).
    pub denominator: i64,
}

/// Whether `votes_cast` of `participants` reaches the quorum: `votes_cast / participants ≥ q`,
/// compared exactly as `votes_cast × q.den ≥ q.num × participants` (2 of 3 reaches two-thirds).
/// A meeting with no participants never reaches it.
pub fn quorum_reached(votes_cast: i64, participants: i64, quorum: Fraction) -> bool {
    participants > 0
        && quorum.denominator > 0
        && i128::from(votes_cast) * i128::from(quorum.denominator)
            >= i128::from(quorum.numerator) * i128::from(participants)
}

/// Whether `yes` of `votes_cast` is strictly more than the pass share (`yes / cast > p`): 过半数.
pub fn passes(yes: i64, votes_cast: i64, pass: Fraction) -> bool {
    votes_cast > 0
        && pass.denominator > 0
        && i128::from(yes) * i128::from(pass.denominator)
            > i128::from(pass.numerator) * i128::from(votes_cast)
}

/// The kinds of thing a department pushes to a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// A task (工作任务) the community is asked to do.
    Task,
    /// A certificate (证明) the community is asked to issue.
    Certificate,
}

impl PushKind {
    /// Stored identifier.
    pub fn id(self) -> &'static str {
        match self {
            PushKind::Task => "task",
            PushKind::Certificate => "certificate",
        }
    }

    /// Parses the identifier.
    pub fn from_id(s: &str) -> Option<PushKind> {
        match s {
            "task" => Some(PushKind::Task),
            "certificate" => Some(PushKind::Certificate),
            _ => None,
        }
    }

    /// Chinese label.
    pub fn name_zh(self) -> &'static str {
        match self {
            PushKind::Task => "工作事项",
            PushKind::Certificate => "证明事项",
        }
    }
}

/// One item of a duty list, as the check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// Row id.
    pub id: i64,
    /// List kind identifier (`self_governance`, `assist_government`, `forbidden`, `certificate`).
    pub kind: String,
    /// What the list kind does (`allow`, `forbid`, `certificate`: the `flag` of the configuration).
    pub effect: String,
    /// The item's name (a matter or a certificate).
    pub name: String,
}

/// What the check decided about a pushed task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushDecision {
    /// The community takes it; the item it matched, if any.
    Accepted(Option<i64>),
    /// Refused, with the item cited (none for a certificate absent from the list) and the reason.
    Refused(Option<i64>, String),
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !"，。、,.；;：:（）()“”\"《》".contains(*c))
        .collect()
}

/// Checks a pushed task against the lists in force (RULES.md §14.2, 四张清单).
///
/// Matching rule (written down because the lists are free text): after removing spaces and
/// punctuation, an item matches when the item's name is contained in the pushed title.
/// - a task matching a `forbid` item is refused, citing that item;
/// - a certificate is accepted only if it matches a `certificate` item, otherwise refused, citing
///   the certificate list; a certificate matching a `forbid` item is refused citing that item;
/// - anything else is accepted (with the `allow` item it matched, if any).
///
/// With no lists in force (`items` empty and `in_force` false) everything is accepted: that is
/// the "before" of the burden indicator.
pub fn check_push(kind: PushKind, title: &str, items: &[ListItem], in_force: bool) -> PushDecision {
    if !in_force {
        return PushDecision::Accepted(None);
    }
    let t = normalize(title);
    let matches = |effect: &str| {
        items
            .iter()
            .filter(|i| i.effect == effect)
            .find(|i| !normalize(&i.name).is_empty() && t.contains(&normalize(&i.name)))
    };
    if let Some(item) = matches("forbid") {
        return PushDecision::Refused(
            Some(item.id),
            format!("属于负面事项清单所列“{}”，不得派给村（社区）", item.name),
        );
    }
    match kind {
        PushKind::Certificate => match matches("certificate") {
            Some(item) => PushDecision::Accepted(Some(item.id)),
            None => PushDecision::Refused(
                None,
                "不在依法出具证明事项清单内，村（社区）不予出具".to_owned(),
            ),
        },
        PushKind::Task => PushDecision::Accepted(matches("allow").map(|i| i.id)),
    }
}

/// An exact rate `part / whole` shown as a percentage with one decimal, rounded half away from
/// zero (四舍五入) by the kernel's `percent_string`; `—` when the whole is zero.
pub fn rate(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "—".into();
    }
    minzheng_kernel::money::percent_string(part, whole, 1).unwrap_or_else(|_| "—".into())
}

/// An exact mean `sum / count` shown with two decimals, rounded half away from zero; `—` when
/// there is nothing to average. Integer arithmetic only.
pub fn mean(sum: i64, count: i64) -> String {
    if count == 0 {
        return "—".into();
    }
    let scaled = i128::from(sum) * 100;
    let c = i128::from(count);
    let q = (2 * scaled + c) / (2 * c); // sum and count are non-negative: half up = half away
    format!("{}.{:02}", q / 100, q % 100)
}

/// The most a request's budget may be: a community matter of the seven steps, not a capital
/// project; a larger figure is a typing slip.
pub const BUDGET_MAX: Fen = Fen(10_000_000_000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_runs_in_order_and_refuses_skips() {
        assert_eq!(transition(Act::Raise, None).unwrap().to, Step::Collect);
        assert!(transition(Act::Accept, Some(Step::Collect)).is_err());
        let e = transition(Act::Publicize, Some(Step::Screen)).unwrap_err();
        assert!(e.contains("筛单") && e.contains("议单"), "{e}");
        assert_eq!(
            transition(Act::Decline, Some(Step::Screen)).unwrap().to,
            Step::Revise
        );
        assert_eq!(
            acts_from(Step::Implement),
            vec![Act::Progress, Act::Complete]
        );
    }

    #[test]
    fn quorum_and_majority_are_exact() {
        let two_thirds = Fraction {
            numerator: 2,
            denominator: 3,
        };
        let half = Fraction {
            numerator: 1,
            denominator: 2,
        };
        assert!(quorum_reached(2, 3, two_thirds));
        assert!(!quorum_reached(1, 2, two_thirds));
        assert!(!quorum_reached(0, 0, two_thirds));
        assert!(passes(2, 3, half));
        assert!(!passes(1, 2, half));
    }

    #[test]
    fn a_forbidden_task_cites_its_item_and_a_missing_certificate_the_list() {
        let items = vec![
            ListItem {
                id: 1,
                kind: "forbidden".into(),
                effect: "forbid".into(),
                name: "招商引资".into(),
            },
            ListItem {
                id: 2,
                kind: "certificate".into(),
                effect: "certificate".into(),
                name: "居住证明".into(),
            },
            ListItem {
                id: 3,
                kind: "assist_government".into(),
                effect: "allow".into(),
                name: "人口普查".into(),
            },
        ];
        assert_eq!(
            check_push(PushKind::Task, "2020年 招商引资 任务分解", &items, true),
            PushDecision::Refused(
                Some(1),
                "属于负面事项清单所列“招商引资”，不得派给村（社区）".into()
            )
        );
        assert!(matches!(
            check_push(PushKind::Certificate, "无犯罪记录证明", &items, true),
            PushDecision::Refused(None, _)
        ));
        assert_eq!(
            check_push(PushKind::Certificate, "居住证明", &items, true),
            PushDecision::Accepted(Some(2))
        );
        assert_eq!(
            check_push(PushKind::Task, "第七次人口普查入户", &items, true),
            PushDecision::Accepted(Some(3))
        );
        assert_eq!(
            check_push(PushKind::Task, "招商引资", &items, false),
            PushDecision::Accepted(None)
        );
    }

    #[test]
    fn rates_and_means_round_half_away() {
        assert_eq!(rate(1, 3), "33.3%");
        assert_eq!(rate(2, 3), "66.7%");
        assert_eq!(rate(0, 0), "—");
        assert_eq!(mean(9, 2), "4.50");
        assert_eq!(mean(14, 3), "4.67");
        assert_eq!(mean(1, 8), "0.13");
    }
}
