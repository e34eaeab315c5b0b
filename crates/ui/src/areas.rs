//! The areas of the platform (DESIGN.md §1), in the order the navigation shows them.

/// One business area as the navigation and the home page show it.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Area {
    /// Identifier from the glossary, also the URL path.
    pub id: &'static str,
    /// Chinese name staff know it by.
    pub name: &'static str,
    /// One line on what is done there.
    pub summary: &'static str,
    /// Whether its pages exist yet; an area that is not built says so plainly.
    pub ready: bool,
}

/// Every area, built or not.
pub const AREAS: &[Area] = &[
    Area {
        id: "assistance",
        name: "社会救助",
        summary: "低保、特困、临时救助的申请、审核确认与一门受理、协同办理",
        ready: true,
    },
    Area {
        id: "benefits",
        name: "待遇发放",
        summary: "保障标准、月度发放、银行代发与回盘、动态管理",
        ready: true,
    },
    Area {
        id: "institutions",
        name: "养老服务机构",
        summary: "民政服务机构与社区养老服务设施、封闭管理、门岗登记、安全检查",
        ready: true,
    },
    Area {
        id: "marriage",
        name: "婚姻登记",
        summary: "41 个婚姻登记处、分时段网上预约、登记与离婚冷静期",
        ready: true,
    },
    Area {
        id: "governance",
        name: "基层治理",
        summary: "居民诉求“7单工作法”、三事分流、四张清单、一约三会",
        ready: true,
    },
    Area {
        id: "society",
        name: "社会组织·志愿·慈善",
        summary: "社会组织登记与执法、社会工作者、志愿者与服务时长、慈善收支",
        ready: false,
    },
    Area {
        id: "children",
        name: "儿童福利",
        summary: "孤儿、事实无人抚养儿童、留守儿童与困境儿童",
        ready: false,
    },
    Area {
        id: "disability",
        name: "残疾人补贴",
        summary: "困难残疾人生活补贴、重度残疾人护理补贴",
        ready: false,
    },
    Area {
        id: "funeral",
        name: "殡葬服务",
        summary: "惠民殡葬、基本殡葬服务费减免",
        ready: false,
    },
    Area {
        id: "places",
        name: "区划地名",
        summary: "行政区划调整与代码沿革、地名查询、界线联检",
        ready: false,
    },
    Area {
        id: "sharing",
        name: "数据共享",
        summary: "共享目录、部门接口、数据交换台账",
        ready: false,
    },
    Area {
        id: "stats",
        name: "统计",
        summary: "指标、看板、年度统计公报与导出",
        ready: false,
    },
];
