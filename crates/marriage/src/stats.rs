//! Statistics per office per month: registrations, divorces, the no-show rate and slot use.

use crate::MarriageError;
use minzheng_access::{Action, Principal, Role};
use minzheng_kernel::month::Month;
use minzheng_store::{Tx, params};
use serde::Serialize;
use std::collections::BTreeMap;

/// One office's month.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct OfficeMonth {
    /// Office id.
    pub office_id: i64,
    /// Office name.
    pub office_name: String,
    /// Marriages registered (结婚证 issued).
    pub registrations: i64,
    /// Divorces registered (离婚证 issued).
    pub divorces: i64,
    /// Appointments for days of the month, cancelled ones excluded.
    pub appointments: i64,
    /// Of those, the ones already settled: done, refused or no-show.
    pub settled: i64,
    /// Of those, nobody came.
    pub no_shows: i64,
    /// Places offered on open slots.
    pub quota: i64,
    /// Places taken.
    pub booked: i64,
}

impl OfficeMonth {
    /// No-shows over settled appointments (done, refused or no-show), as a percentage text.
    pub fn no_show_rate(&self) -> String {
        minzheng_kernel::money::percent_string(self.no_shows, self.settled, 1)
            .unwrap_or_else(|_| "—".into())
    }
    /// Places taken over places offered, as a percentage text.
    pub fn utilization(&self) -> String {
        minzheng_kernel::money::percent_string(self.booked, self.quota, 1)
            .unwrap_or_else(|_| "—".into())
    }
}

/// The month's figures of every office the user may see (a registrar: their own office).
pub fn month(
    tx: &mut Tx<'_>,
    who: &Principal,
    month: Month,
) -> Result<Vec<OfficeMonth>, MarriageError> {
    who.require(Action::MarriageRead)?;
    let (from, to) = (month.first_day(), month.last_day());
    let mut out: BTreeMap<i64, OfficeMonth> = BTreeMap::new();
    let scope = who.scope();
    for o in crate::offices::offices(tx)? {
        let visible = if who.role == Role::MarriageRegistrar {
            who.unit_id == Some(o.id)
        } else {
            who.scope_code.len() <= 2 || scope.contains(&o.region_code)
        };
        if visible {
            out.insert(
                o.id,
                OfficeMonth {
                    office_id: o.id,
                    office_name: o.name,
                    ..OfficeMonth::default()
                },
            );
        }
    }
    for r in tx.query(
        "SELECT office_id, kind, COUNT(*) FROM marriage_certificate WHERE day >= $1 AND day <= $2 GROUP BY office_id, kind",
        params![from, to],
    )? {
        if let Some(m) = out.get_mut(&r.get::<i64>(0)?) {
            let n: i64 = r.get(2)?;
            match r.get::<String>(1)?.as_str() {
                "marriage" => m.registrations += n,
                "divorce" => m.divorces += n,
                _ => {}
            }
        }
    }
    for r in tx.query(
        "SELECT office_id, status, COUNT(*) FROM appointment WHERE day >= $1 AND day <= $2 AND status <> 'cancelled' GROUP BY office_id, status",
        params![from, to],
    )? {
        if let Some(m) = out.get_mut(&r.get::<i64>(0)?) {
            let n: i64 = r.get(2)?;
            m.appointments += n;
            let st: String = r.get(1)?;
            if matches!(st.as_str(), "done" | "refused" | "no_show") {
                m.settled += n;
            }
            if st == "no_show" {
                m.no_shows += n;
            }
        }
    }
    for r in tx.query(
        "SELECT office_id, CAST(SUM(quota) AS BIGINT), CAST(SUM(booked) AS BIGINT) FROM time_slot
         WHERE day >= $1 AND day <= $2 AND closed = FALSE GROUP BY office_id",
        params![from, to],
    )? {
        if let Some(m) = out.get_mut(&r.get::<i64>(0)?) {
            m.quota = r.get(1)?;
            m.booked = r.get(2)?;
        }
    }
    Ok(out.into_values().collect())
}
