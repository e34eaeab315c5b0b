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
}

impl Action {
    /// Every action, in a stable order for the docs.
    pub const ALL: [Action; 8] = [
        Action::AccountRead,
        Action::AccountManage,
        Action::AuditRead,
        Action::PersonUnmask,
        Action::ParameterManage,
        Action::CalendarManage,
        Action::ToolsUse,
        Action::InboxRead,
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
        ],
    ),
    (
        Role::DistrictAdmin,
        &[Action::AccountRead, Action::AccountManage, Action::ToolsUse],
    ),
    (
        Role::DistrictReviewer,
        &[Action::PersonUnmask, Action::ToolsUse],
    ),
    (
        Role::StreetOfficer,
        &[Action::PersonUnmask, Action::ToolsUse],
    ),
    (Role::CommunityWorker, &[Action::ToolsUse]),
    (Role::InstitutionStaff, &[Action::ToolsUse]),
    (
        Role::MarriageRegistrar,
        &[Action::PersonUnmask, Action::ToolsUse],
    ),
    (
        Role::Auditor,
        &[Action::AccountRead, Action::AuditRead, Action::ToolsUse],
    ),
    (Role::Citizen, &[]),
];

impl Role {
    /// Whether the permission table grants `action` to this role.
    pub fn can(self, action: Action) -> bool {
        PERMISSIONS
            .iter()
            .any(|(r, actions)| *r == self && actions.contains(&action))
    }

    /// Whether an account of this role may create or change accounts of `other`:
    /// never one that reaches further than itself.
    pub fn may_administer(self, other: Role) -> bool {
        match self {
            Role::CityAdmin => other != Role::Citizen,
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
