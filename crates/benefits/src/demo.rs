//! The demo set of the area, written inside the demo transaction after the assistance area's:
//! every approved assistance decision enrolled, a few orphans and disability subsidies, last
//! month's cycles of 渝中区 (authorized and released to the banks) and 沙坪坝区 (computed, waiting
//! for the district), this month's reviews scheduled and two months of price indices.

use crate::BenefitsError;
use crate::decisions::{self, Payout};
use crate::enrolments::{self, NewEnrolment};
use crate::programs::Program;
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::RegionCode;
use minzheng_store::{Tx, params};

fn district_admin(district: &str) -> Principal {
    Principal {
        role: Role::DistrictAdmin,
        scope_code: district.into(),
        ..Principal::system("demo")
    }
}

/// Loads the demo set; `today` is the day the demo is loaded.
pub fn seed(tx: &mut Tx<'_>, today: chrono::NaiveDate) -> Result<String, BenefitsError> {
    let city = Principal::system("demo");
    let approved: Vec<i64> = tx
        .query(
            "SELECT id FROM assistance_application WHERE state = 'approved' ORDER BY id",
            params![],
        )?
        .into_iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    let mut from_decisions = 0;
    for (i, id) in approved.iter().enumerate() {
        let payout = Payout {
            bank_code: ["CQRCB", "ICBC", "CCB", "PSBC"][i % 4].into(),
            account_kind: if i % 4 == 1 { "bank" } else { "ssc" }.into(),
            account_no: format!("6217{:015}", 900_000 + i),
            institutional: i % 3 == 0,
        };
        // A household whose facts changed since its decision waits for its review instead.
        match decisions::enrol_from_decision(tx, &city, *id, &payout) {
            Ok(_) => from_decisions += 1,
            Err(BenefitsError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    // Children and people with disabilities, whose registries come later: entered by hand.
    let this_month = Month::of(today);
    let start = this_month.plus(-6);
    let people = [
        (Program::OrphanDispersed, "500103001006", "周小雨", 2012),
        (Program::OrphanInstitutional, "500103001011", "吴小川", 2014),
        (Program::UnattendedChild, "500106001004", "郑小溪", 2015),
        (Program::DisabilityLiving, "500103001013", "冯建国", 1968),
        (Program::DisabilityCare, "500103001013", "冯建国", 1968),
        (Program::DisabilityCare, "500106001005", "陈秀英", 1955),
        // Other streets of the two districts (解放碑街道 of 渝中区, 沙坪坝街道 of 沙坪坝区): a
        // street's officer sees the district's cycle without these lines.
        (Program::DisabilityLiving, "500103003013", "何志明", 1972),
        (Program::OrphanDispersed, "500103003016", "唐小满", 2013),
        (Program::DisabilityCare, "500106002003", "罗桂芳", 1949),
    ];
    for (i, (program, community, name, year)) in people.iter().enumerate() {
        let birth = chrono::NaiveDate::from_ymd_opt(*year, 3, 1 + i as u32).unwrap_or(today);
        let id_number = IdNumber::generate(&community[..6], birth, 700 + i as u16)
            .map_err(|e| BenefitsError::Invalid(e.to_string()))?;
        let new = NewEnrolment {
            program: *program,
            id_number,
            name: (*name).into(),
            household_id: None,
            region_code: RegionCode::parse(community)
                .map_err(|e| BenefitsError::Invalid(e.to_string()))?,
            members: 1,
            counted_income: Fen(0),
            supplement: Fen(0),
            care_tier: None,
            bank_code: "CQRCB".into(),
            account_kind: "ssc".into(),
            account_no: format!("6230{:012}", 500 + i),
            start_month: start,
            end_month: None,
            reason: "演示数据：残联、儿童福利名册导入".into(),
        };
        enrolments::enrol(tx, &city, &new)?;
    }
    // Last month's cycles.
    let last = this_month.plus(-1);
    let params = minzheng_reference::parameters::parameter_set(tx)?;
    let mut lines = 0;
    for district in ["500103", "500106"] {
        lines += crate::payroll::compute_district(tx, &city, &params, last, district)?.lines();
    }
    let cycles = crate::payroll::cycles(tx, &city, last)?;
    if let Some(c) = cycles.iter().find(|c| c.district_code == "500103") {
        crate::payroll::advance(tx, &district_admin("500103"), c.id, "approved")?;
        crate::payroll::advance(tx, &city, c.id, "authorized")?;
        crate::bank::release(tx, &city, c.id)?;
    }
    // The reviews due this month, and the indices of the last two months (not triggered).
    let reviews = crate::review::schedule(tx, &district_admin("500103"), this_month)?;
    crate::review::schedule(tx, &district_admin("500106"), this_month)?;
    for (m, cpi, food) in [(this_month.plus(-2), "1.8", "3.2"), (last, "2.1", "4.4")] {
        crate::prices::record_index(tx, &city, m, cpi, food, "", "演示数据：市统计局月度数据")?;
    }
    Ok(format!(
        "待遇发放：{from_decisions} 个审批决定与 {} 名儿童、残疾人登记发放，{last} 名册 {} 个、{lines} 笔（渝中区已生成代发文件），本月复核 {} 户",
        people.len(),
        cycles.len(),
        reviews.created
    ))
}
