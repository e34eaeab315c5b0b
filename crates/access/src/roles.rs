//! Roles and the permission table: one place, data not code, printed in docs/ACCESS.md.
//! An area declares the actions it needs; it never checks a role by name.

use serde::Serialize;

/// What an account is, and so what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市级管理员: administers the whole city.
    CityAdmin,
    /// 区县管理员: administers accounts and settings of one district.
    DistrictAdmin,
    /// 区县审核: decides applications of one district.
    DistrictReviewer,
    /// 乡镇街道经办: handles cases at a street or township.
    StreetOfficer,
    /// 社区工作者: works in one community or village.
    CommunityWorker,
    /// 机构工作人员: works in one care institution.
    InstitutionStaff,
    /// 婚姻登记员: works at one marriage registration office.
    MarriageRegistrar,
    /// 审计员: reads everything, changes nothing, reads the audit log.
    Auditor,
    /// 居民: sees only their own applications, bookings and requests.
    Citizen,
}

impl Role {
    /// Every role, in order of reach.
    pub const ALL: [Role; 9] = [
        Role::CityAdmin,
        Role::DistrictAdmin,
        Role::DistrictReviewer,
        Role::StreetOfficer,
        Role::CommunityWorker,
        Role::InstitutionStaff,
        Role::MarriageRegistrar,
        Role::Auditor,
        Role::Citizen,
    ];

    /// The identifier stored in the database.
    pub fn id(self) -> &'static str {
        match self {
            Role::CityAdmin => "city_admin",
            Role::DistrictAdmin => "district_admin",
            Role::DistrictReviewer => "district_reviewer",
            Role::StreetOfficer => "street_officer",
            Role::CommunityWorker => "community_worker",
            Role::InstitutionStaff => "institution_staff",
            Role::MarriageRegistrar => "marriage_registrar",
            Role::Auditor => "auditor",
            Role::Citizen => "citizen",
        }
    }

    /// The Chinese name staff know the role by.
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::CityAdmin => "市级管理员",
            Role::DistrictAdmin => "区县管理员",
            Role::DistrictReviewer => "区县审核",
            Role::StreetOfficer => "乡镇街道经办",
            Role::CommunityWorker => "社区工作者",
            Role::InstitutionStaff => "机构工作人员",
            Role::MarriageRegistrar => "婚姻登记员",
            Role::Auditor => "审计员",
            Role::Citizen => "居民",
        }
    }

    /// Parses the stored identifier.
    pub fn from_id(id: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.id() == id)
    }

    /// How many digits the region scope of this role has: the level it works at.
    /// `None` means any level may be given (institution and office staff work where their unit is).
    pub fn scope_digits(self) -> Option<&'static [usize]> {
        match self {
            Role::CityAdmin | Role::Auditor => Some(&[2]),
            Role::DistrictAdmin | Role::DistrictReviewer => Some(&[6]),
            Role::StreetOfficer => Some(&[9]),
            Role::CommunityWorker => Some(&[12]),
            Role::InstitutionStaff | Role::MarriageRegistrar => Some(&[6, 9, 12]),
            Role::Citizen => None,
        }
    }

    /// Whether the role is a staff role (signs in with a password) rather than a citizen.
    pub fn is_staff(self) -> bool {
        self != Role::Citizen
    }
}

/// Something a user may be allowed to do. Areas add their actions here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See the staff accounts within one's scope.
    AccountRead,
    /// Create, disable and reset staff accounts within one's scope.
    AccountManage,
    /// Search and read the audit log.
    AuditRead,
    /// See ID numbers, phones and bank accounts whole (each view is audited).
    PersonUnmask,
    /// Change dated policy parameters.
    ParameterManage,
    /// Load a year's holiday notice into the calendar.
    CalendarManage,
    /// Use the checking tools (ID numbers, credit codes, calendar, regions).
    ToolsUse,
    /// Read the development inbox of messages the built-in sender wrote.
    InboxRead,
    /// Maintain marriage offices, their status, time slots, quotas and special dates.
    MarriageOfficeManage,
    /// Work the registrar's desk of one's own office: check-in, registration, refusal, divorce cooling-off.
    MarriageDesk,
    /// See marriage offices' bookings and statistics within one's scope.
    MarriageRead,
    /// Book, see and cancel one's own marriage registration appointments.
    MarriageBook,
    /// Raise a residents' request (one's own, or on a resident's behalf).
    RequestRaise,
    /// Take a residents' request through the steps of the seven-step cycle.
    RequestHandle,
    /// Maintain a community's pact, councils and four duty lists.
    GovernanceManage,
    /// Push a task or certificate request to a community, checked against its duty lists.
    TaskPush,
    /// Vote in a council meeting one is a participant of.
    CouncilVote,
    /// See requests, meetings and governance indicators within one's scope.
    GovernanceRead,
    /// Maintain the registry of institutions and community care facilities.
    InstitutionManage,
    /// See institutions, facilities, reports and dashboards within one's scope.
    InstitutionRead,
    /// Run one's own institution: residents, staff, the gate ledger, health and incident reports.
    InstitutionOperate,
    /// Issue and lift closed-management orders and set district risk levels.
    EpidemicOrderManage,
    /// Run safety inspections and enforcement cases.
    InspectionManage,
    /// Give the legal review a major enforcement decision needs.
    LegalReview,
    /// Register households, members, incomes and assets.
    HouseholdManage,
    /// Take in and investigate assistance applications; record one-door referrals.
    CaseHandle,
    /// Decide assistance applications (the street only where the decision is delegated).
    CaseDecide,
    /// Vote in an appraisal meeting one is a member of.
    AppraisalVote,
    /// Answer a request referred from the one-door counter on behalf of the receiving department.
    ReferralAnswer,
    /// Apply for assistance online and follow one's own applications.
    CaseApply,
    /// See assistance households, cases and figures within one's scope.
    AssistanceRead,
    /// Enrol beneficiaries in benefit programs, and suspend, stop or record a death or move-out.
    EnrolmentManage,
    /// Compute a month's payroll cycle (a snapshot of every entitlement).
    PayrollCompute,
    /// Approve a district's computed payroll cycle after checking its control totals.
    PayrollApprove,
    /// Authorize an approved payroll cycle for payment (finance).
    PayrollAuthorize,
    /// See enrolments, payroll cycles and payments within one's scope.
    BenefitsRead,
    /// Issue an authorized cycle's bank files (released), import the bank's return and close it.
    PayrollRelease,
    /// Schedule and record the periodic reviews (动态管理) of beneficiaries.
    ReviewManage,
    /// Enter the monthly price indices that trigger the price subsidy, and its other recipient groups.
    PriceIndexManage,
    /// Run a policy what-if over every household without changing real data.
    PolicyWhatIf,
    /// Check a citizen's ID card at a counter: verify the number bound to their account, and
    /// decide who holds a number two accounts claim.
    IdentityVerify,
}

impl Action {
    /// Every action, in a stable order for the docs.
    pub const ALL: [Action; 41] = [
        Action::AccountRead,
        Action::AccountManage,
        Action::AuditRead,
        Action::PersonUnmask,
        Action::ParameterManage,
        Action::CalendarManage,
        Action::ToolsUse,
        Action::InboxRead,
        Action::MarriageOfficeManage,
        Action::MarriageDesk,
        Action::MarriageRead,
        Action::MarriageBook,
        Action::RequestRaise,
        Action::RequestHandle,
        Action::GovernanceManage,
        Action::TaskPush,
        Action::CouncilVote,
        Action::GovernanceRead,
        Action::InstitutionManage,
        Action::InstitutionRead,
        Action::InstitutionOperate,
        Action::EpidemicOrderManage,
        Action::InspectionManage,
        Action::LegalReview,
        Action::HouseholdManage,
        Action::CaseHandle,
        Action::CaseDecide,
        Action::AppraisalVote,
        Action::ReferralAnswer,
        Action::CaseApply,
        Action::AssistanceRead,
        Action::EnrolmentManage,
        Action::PayrollCompute,
        Action::PayrollApprove,
        Action::PayrollAuthorize,
        Action::BenefitsRead,
        Action::PayrollRelease,
        Action::ReviewManage,
        Action::PriceIndexManage,
        Action::PolicyWhatIf,
        Action::IdentityVerify,
    ];

    /// What the action is, in Chinese, for the docs and refusals.
    pub fn name_zh(self) -> &'static str {
        match self {
            Action::AccountRead => "查看工作人员账户",
            Action::AccountManage => "管理工作人员账户",
            Action::AuditRead => "查阅审计日志",
            Action::PersonUnmask => "查看完整个人信息",
            Action::ParameterManage => "调整政策参数",
            Action::CalendarManage => "维护节假日日历",
            Action::ToolsUse => "使用校验工具",
            Action::InboxRead => "查看开发收件箱",
            Action::MarriageOfficeManage => "管理婚姻登记处与预约时段",
            Action::MarriageDesk => "婚姻登记窗口办理",
            Action::MarriageRead => "查看婚姻登记预约与统计",
            Action::MarriageBook => "预约婚姻登记",
            Action::RequestRaise => "提出居民诉求",
            Action::RequestHandle => "办理居民诉求",
            Action::GovernanceManage => "维护一约三会与四张清单",
            Action::TaskPush => "向社区派发事项",
            Action::CouncilVote => "参加议事表决",
            Action::GovernanceRead => "查看基层治理情况",
            Action::InstitutionManage => "维护机构与设施名录",
            Action::InstitutionRead => "查看机构与设施",
            Action::InstitutionOperate => "机构日常管理",
            Action::EpidemicOrderManage => "发布与解除封闭管理",
            Action::InspectionManage => "安全检查与执法",
            Action::LegalReview => "法制审核",
            Action::HouseholdManage => "登记家庭与成员",
            Action::CaseHandle => "受理与调查救助申请",
            Action::CaseDecide => "审批救助申请",
            Action::AppraisalVote => "参加民主评议表决",
            Action::ReferralAnswer => "答复转办事项",
            Action::CaseApply => "网上申请救助",
            Action::AssistanceRead => "查看社会救助情况",
            Action::EnrolmentManage => "管理待遇享受人员",
            Action::PayrollCompute => "生成月度发放名册",
            Action::PayrollApprove => "审核月度发放名册",
            Action::PayrollAuthorize => "批准资金拨付",
            Action::BenefitsRead => "查看待遇发放情况",
            Action::PayrollRelease => "生成银行代发文件与回盘对账",
            Action::ReviewManage => "安排与记录定期复核",
            Action::PriceIndexManage => "录入物价指数与补贴对象",
            Action::PolicyWhatIf => "政策调整测算",
            Action::IdentityVerify => "窗口核验居民实名绑定",
        }
    }
}

/// The permission table: role × action. Scope limits apply on top of it.
pub const PERMISSIONS: &[(Role, &[Action])] = &[
    (
        Role::CityAdmin,
        &[
            Action::AccountRead,
            Action::AccountManage,
            Action::AuditRead,
            Action::PersonUnmask,
            Action::ParameterManage,
            Action::CalendarManage,
            Action::ToolsUse,
            Action::InboxRead,
            Action::MarriageOfficeManage,
            Action::MarriageRead,
            Action::GovernanceManage,
            Action::TaskPush,
            Action::GovernanceRead,
            Action::InstitutionManage,
            Action::InstitutionRead,
            Action::EpidemicOrderManage,
            Action::InspectionManage,
            Action::LegalReview,
            Action::ReferralAnswer,
            Action::AssistanceRead,
            Action::EnrolmentManage,
            Action::PayrollCompute,
            Action::PayrollAuthorize,
            Action::BenefitsRead,
            Action::PayrollRelease,
            Action::PriceIndexManage,
            Action::PolicyWhatIf,
            Action::IdentityVerify,
        ],
    ),
    (
        Role::DistrictAdmin,
        &[
            Action::AccountRead,
            Action::AccountManage,
            Action::ToolsUse,
            Action::MarriageOfficeManage,
            Action::MarriageRead,
            Action::GovernanceManage,
            Action::TaskPush,
            Action::GovernanceRead,
            Action::InstitutionManage,
            Action::InstitutionRead,
            Action::EpidemicOrderManage,
            Action::InspectionManage,
            Action::ReferralAnswer,
            Action::AssistanceRead,
            Action::EnrolmentManage,
            Action::PayrollCompute,
            Action::PayrollApprove,
            Action::BenefitsRead,
            Action::PayrollRelease,
            Action::ReviewManage,
            Action::PolicyWhatIf,
            Action::IdentityVerify,
        ],
    ),
    (
        Role::DistrictReviewer,
        &[
            Action::PersonUnmask,
            Action::ToolsUse,
            Action::MarriageRead,
            Action::GovernanceRead,
            Action::InstitutionRead,
            Action::LegalReview,
            Action::CaseDecide,
            Action::AppraisalVote,
            Action::AssistanceRead,
            Action::EnrolmentManage,
            Action::PayrollApprove,
            Action::BenefitsRead,
            Action::ReviewManage,
        ],
    ),
    (
        Role::StreetOfficer,
        &[
            Action::PersonUnmask,
            Action::ToolsUse,
            Action::RequestHandle,
            Action::GovernanceManage,
            Action::TaskPush,
            Action::CouncilVote,
            Action::GovernanceRead,
            Action::InstitutionRead,
            Action::HouseholdManage,
            Action::CaseHandle,
            Action::CaseDecide,
            Action::AppraisalVote,
            Action::AssistanceRead,
            Action::EnrolmentManage,
            Action::BenefitsRead,
            Action::ReviewManage,
            Action::IdentityVerify,
        ],
    ),
    (
        Role::CommunityWorker,
        &[
            Action::ToolsUse,
            Action::RequestRaise,
            Action::RequestHandle,
            Action::CouncilVote,
            Action::GovernanceRead,
            Action::HouseholdManage,
            Action::CaseHandle,
            Action::AppraisalVote,
            Action::AssistanceRead,
            Action::IdentityVerify,
        ],
    ),
    (
        Role::InstitutionStaff,
        &[
            Action::ToolsUse,
            Action::InstitutionRead,
            Action::InstitutionOperate,
        ],
    ),
    (
        Role::MarriageRegistrar,
        &[
            Action::PersonUnmask,
            Action::ToolsUse,
            Action::MarriageDesk,
            Action::MarriageRead,
        ],
    ),
    (
        Role::Auditor,
        &[
            Action::AccountRead,
            Action::AuditRead,
            Action::ToolsUse,
            Action::MarriageRead,
            Action::GovernanceRead,
            Action::InstitutionRead,
            Action::AssistanceRead,
            Action::BenefitsRead,
        ],
    ),
    (
        Role::Citizen,
        &[
            Action::MarriageBook,
            Action::RequestRaise,
            Action::CouncilVote,
            Action::CaseApply,
            Action::AppraisalVote,
        ],
    ),
];

impl Role {
    /// Whether the permission table grants `action` to this role.
    pub fn can(self, action: Action) -> bool {
        PERMISSIONS
            .iter()
            .any(|(r, actions)| *r == self && actions.contains(&action))
    }

    /// Whether an account of this role may create or change accounts of `other`: never one that
    /// reaches further than itself, and never an auditor's (separation of duties: whoever is audited
    /// must not hold the auditor's password; auditors are managed from the command line).
    pub fn may_administer(self, other: Role) -> bool {
        match self {
            Role::CityAdmin => !matches!(other, Role::Citizen | Role::Auditor),
            Role::DistrictAdmin => {
                !matches!(other, Role::CityAdmin | Role::Auditor | Role::Citizen)
            }
            _ => false,
        }
    }
}

/// The permission table as Markdown, for docs/ACCESS.md (a test keeps the file in step).
pub fn permission_table_markdown() -> String {
    let mut s = String::from("| action |");
    for r in Role::ALL {
        s.push_str(&format!(" {} `{}` |", r.name_zh(), r.id()));
    }
    s.push_str("\n|---|");
    for _ in Role::ALL {
        s.push_str("---|");
    }
    s.push('\n');
    for a in Action::ALL {
        s.push_str(&format!("| {} |", a.name_zh()));
        for r in Role::ALL {
            s.push_str(if r.can(a) { " ✓ |" } else { " |" });
        }
        s.push('\n');
    }
    s
}
