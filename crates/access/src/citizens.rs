//! A citizen's account bound to their ID number: the number is validated (GB 11643), stored in its
//! canonical form, unique across accounts, shown masked, and verified (crate::identity) before the
//! account may act on a household already in the registry. A number another account already holds
//! is never silently refused: it goes to the staff worklist of contested bindings, where a member of
//! staff who sees the card decides, and the claimant is told only that.

use crate::identity::Verdict;
use crate::principal::Principal;
use crate::roles::{Action, Role};
use crate::{AccessError, now_text};
use chrono::NaiveDate;
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::mask;
use minzheng_store::audit::{self, AuditEntry, subject_key};
use minzheng_store::{Tx, params};

/// What a citizen's own page shows about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenProfile {
    /// Phone, masked.
    pub phone: String,
    /// ID number, masked, once bound.
    pub id_number: Option<String>,
    /// Real name, once bound.
    pub real_name: Option<String>,
    /// Whether the bound number has been verified (online or at a counter).
    pub verified: bool,
    /// A contested binding of this account waits for staff.
    pub dispute_open: bool,
}

/// The signed-in citizen's profile.
pub fn profile(tx: &mut Tx<'_>, me: &Principal) -> Result<CitizenProfile, AccessError> {
    let r = tx
        .query_opt(
            "SELECT phone, id_number, real_name, id_verified_at,
                    (SELECT COUNT(*) FROM id_binding_dispute d WHERE d.claimant_account_id = a.id AND d.status = 'open')
             FROM account a WHERE id = $1 AND role = 'citizen'",
            params![me.account_id],
        )?
        .ok_or(AccessError::NotFound)?;
    Ok(CitizenProfile {
        phone: mask::phone(&r.get::<Option<String>>(0)?.unwrap_or_default()),
        id_number: r.get::<Option<String>>(1)?.map(|n| mask::id_number(&n)),
        real_name: r.get(2)?,
        verified: r.get::<Option<String>>(3)?.is_some(),
        dispute_open: r.get::<i64>(4)? > 0,
    })
}

/// A number and name as typed, checked: what a verifier is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The number, canonical.
    pub id_number: IdNumber,
    /// The name as on the card.
    pub real_name: String,
}

impl Binding {
    /// Parses what the citizen typed. A number with spaces, full-width digits or a lowercase x is
    /// taken in its canonical form.
    pub fn parse(
        id_input: &str,
        real_name: &str,
        today: NaiveDate,
    ) -> Result<Binding, AccessError> {
        let parsed =
            IdNumber::parse(id_input, today).map_err(|e| AccessError::Invalid(e.to_string()))?;
        let name = real_name.trim();
        let name_ok = (2..=20).contains(&name.chars().count())
            && name.chars().all(|c| !c.is_ascii_digit() && !c.is_control());
        if !name_ok {
            return Err(AccessError::Invalid(
                "请填写身份证上的姓名（2 至 20 个字）".into(),
            ));
        }
        Ok(Binding {
            id_number: parsed.id_number,
            real_name: name.to_owned(),
        })
    }
}

/// What became of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindOutcome {
    /// Bound and verified.
    Verified,
    /// Bound as declared; to be verified at a counter before acting on a registered household.
    SelfDeclared,
    /// Another account holds the number: the claim is on the staff worklist.
    Disputed,
}

impl BindOutcome {
    /// What the citizen is told.
    pub fn message(self) -> &'static str {
        match self {
            BindOutcome::Verified => "身份证号码已绑定，并已通过实名核验。",
            BindOutcome::SelfDeclared => {
                "身份证号码已绑定，尚未实名核验：可为新登记的家庭申请；如需为已登记的家庭申请，请携带身份证到街道或社区窗口核验。"
            }
            BindOutcome::Disputed => {
                "该身份证号码已绑定其他账户，已转工作人员核实。请携带本人身份证到街道或社区窗口办理，核实后号码将绑定到本人账户。"
            }
        }
    }
}

/// Binds the citizen's account to the number, as the verifier judged it (`verifier` names who).
/// A mismatch is refused and changes nothing; a number held by another account opens a contested
/// binding for staff (committed, so the claim is not lost) and binds nothing.
pub fn bind_id_number(
    tx: &mut Tx<'_>,
    me: &Principal,
    binding: &Binding,
    verdict: &Verdict,
    verifier: &str,
) -> Result<BindOutcome, AccessError> {
    if me.role != Role::Citizen {
        return Err(AccessError::Forbidden(
            "绑定身份证号码（仅限居民本人）".into(),
        ));
    }
    if *verdict == Verdict::Mismatch {
        return Err(AccessError::Invalid(
            "身份证号码与姓名未通过实名核验：请核对后重新填写，或携带身份证到窗口办理".into(),
        ));
    }
    let number = binding.id_number.as_str().to_owned();
    let current: Option<String> = tx
        .query_one(
            "SELECT id_number FROM account WHERE id = $1",
            params![me.account_id],
        )?
        .get(0)?;
    if current.as_deref().is_some_and(|c| c != number) {
        return Err(AccessError::Invalid(
            "账户已绑定其他身份证号码；如需更改，请到街道或社区窗口办理".into(),
        ));
    }
    let holder: Option<i64> = tx
        .query_opt(
            "SELECT id FROM account WHERE id_number = $1 AND id <> $2",
            params![number, me.account_id],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    let now = now_text(chrono::Utc::now());
    if let Some(holder) = holder {
        let open = tx
            .query_opt(
                "SELECT id FROM id_binding_dispute WHERE claimant_account_id = $1 AND id_number = $2 AND status = 'open'",
                params![me.account_id, number],
            )?
            .is_some();
        if !open {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO id_binding_dispute (claimant_account_id, holder_account_id, id_number, claimed_name, status, created_at)
                     VALUES ($1, $2, $3, $4, 'open', $5) RETURNING id",
                    params![me.account_id, holder, number, binding.real_name, now],
                )?
                .get(0)?;
            let key = subject_key(tx, &number)?;
            audit::append(
                tx,
                &me.audit(),
                AuditEntry {
                    action: "account.id_binding_disputed",
                    record_type: "id_binding_dispute",
                    record_id: id.to_string(),
                    subject_key: Some(key),
                    before: None,
                    after: None,
                    detail: serde_json::json!({ "id_number": binding.id_number.masked() }),
                },
            )?;
        }
        return Ok(BindOutcome::Disputed);
    }
    let verified = *verdict == Verdict::Match;
    tx.execute(
        "UPDATE account SET id_number = $1, real_name = $2, display_name = $2, id_verified_at = $3,
            id_verified_by = $4, updated_at = $5 WHERE id = $6",
        params![
            number,
            binding.real_name,
            verified.then(|| now.clone()),
            verified.then(|| verifier.to_owned()),
            now,
            me.account_id
        ],
    )?;
    audit::append(
        tx,
        &me.audit(),
        AuditEntry {
            action: "account.bind_id_number",
            record_type: "account",
            record_id: me.account_id.to_string(),
            subject_key: Some(subject_key(tx, &number)?),
            before: None,
            after: None,
            detail: serde_json::json!({
                "id_number": binding.id_number.masked(),
                "verified_by": verified.then_some(verifier),
            }),
        },
    )?;
    Ok(if verified {
        BindOutcome::Verified
    } else {
        BindOutcome::SelfDeclared
    })
}

/// Whether the citizen's bound number is verified.
pub fn is_verified(tx: &mut Tx<'_>, me: &Principal) -> Result<bool, AccessError> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM account WHERE id = $1 AND id_number IS NOT NULL AND id_verified_at IS NOT NULL",
            params![me.account_id],
        )?
        .is_some())
}

/// A citizen account as the counter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterAccount {
    /// Account id.
    pub account_id: i64,
    /// Phone, masked.
    pub phone: String,
    /// Bound number, masked.
    pub id_number: Option<String>,
    /// Bound name.
    pub real_name: Option<String>,
    /// Verified already.
    pub verified: bool,
}

/// Finds a citizen account by the phone the person gives at the counter.
pub fn find_for_counter(
    tx: &mut Tx<'_>,
    staff: &Principal,
    phone: &str,
) -> Result<Option<CounterAccount>, AccessError> {
    staff.require(Action::IdentityVerify)?;
    let phone = crate::otp::normalize_phone(phone)?;
    tx.query_opt(
        "SELECT id, phone, id_number, real_name, id_verified_at FROM account WHERE phone = $1 AND role = 'citizen'",
        params![phone],
    )?
    .map(|r| {
        Ok(CounterAccount {
            account_id: r.get(0)?,
            phone: mask::phone(&r.get::<Option<String>>(1)?.unwrap_or_default()),
            id_number: r.get::<Option<String>>(2)?.map(|n| mask::id_number(&n)),
            real_name: r.get(3)?,
            verified: r.get::<Option<String>>(4)?.is_some(),
        })
    })
    .transpose()
}

/// Staff saw the card: the number on it (typed whole, as proof it was seen) must be the one bound.
pub fn verify_at_counter(
    tx: &mut Tx<'_>,
    staff: &Principal,
    account_id: i64,
    card_number: &str,
    today: NaiveDate,
) -> Result<(), AccessError> {
    staff.require(Action::IdentityVerify)?;
    let card = IdNumber::parse(card_number, today)
        .map_err(|e| AccessError::Invalid(e.to_string()))?
        .id_number;
    let bound: Option<String> = tx
        .query_opt(
            "SELECT id_number FROM account WHERE id = $1 AND role = 'citizen'",
            params![account_id],
        )?
        .ok_or(AccessError::NotFound)?
        .get(0)?;
    if bound.as_deref() != Some(card.as_str()) {
        return Err(AccessError::Invalid(
            "证件号码与账户绑定的号码不一致，不能核验；如号码被他人绑定，请按争议处理".into(),
        ));
    }
    let now = now_text(chrono::Utc::now());
    tx.execute(
        "UPDATE account SET id_verified_at = $1, id_verified_by = $2, updated_at = $1 WHERE id = $3",
        params![now, staff.username, account_id],
    )?;
    let key = subject_key(tx, card.as_str())?;
    audit::append(
        tx,
        &staff.audit(),
        AuditEntry {
            action: "account.verify_id_number",
            record_type: "account",
            record_id: account_id.to_string(),
            subject_key: Some(key),
            before: None,
            after: None,
            detail: serde_json::json!({ "id_number": card.masked(), "method": "counter" }),
        },
    )?;
    Ok(())
}

/// An open contested binding, as the worklist shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// Its id.
    pub id: i64,
    /// The number, masked.
    pub id_number: String,
    /// The name the claimant gave.
    pub claimed_name: String,
    /// The claimant's phone, masked.
    pub claimant_phone: String,
    /// The holder's phone, masked.
    pub holder_phone: String,
    /// Whether the holder's binding was verified.
    pub holder_verified: bool,
    /// When it was opened.
    pub created_at: String,
}

/// The open contested bindings, oldest first.
pub fn open_disputes(tx: &mut Tx<'_>, staff: &Principal) -> Result<Vec<Dispute>, AccessError> {
    staff.require(Action::IdentityVerify)?;
    let rows = tx.query(
        "SELECT d.id, d.id_number, d.claimed_name, c.phone, h.phone, h.id_verified_at, d.created_at
         FROM id_binding_dispute d JOIN account c ON c.id = d.claimant_account_id
         JOIN account h ON h.id = d.holder_account_id
         WHERE d.status = 'open' ORDER BY d.id LIMIT 200",
        params![],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Dispute {
                id: r.get(0)?,
                id_number: mask::id_number(&r.get::<String>(1)?),
                claimed_name: r.get(2)?,
                claimant_phone: mask::phone(&r.get::<Option<String>>(3)?.unwrap_or_default()),
                holder_phone: mask::phone(&r.get::<Option<String>>(4)?.unwrap_or_default()),
                holder_verified: r.get::<Option<String>>(5)?.is_some(),
                created_at: r.get(6)?,
            })
        })
        .collect()
}

/// Who keeps a contested number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeDecision {
    /// The claimant showed the card: the number moves to their account, verified, and leaves the
    /// holder's.
    ToClaimant,
    /// The holder keeps it; the claim is closed.
    KeepHolder,
}

/// Staff decide a contested binding, with the number on the card typed whole and a note.
pub fn resolve_dispute(
    tx: &mut Tx<'_>,
    staff: &Principal,
    dispute_id: i64,
    card_number: &str,
    decision: DisputeDecision,
    note: &str,
    today: NaiveDate,
) -> Result<(), AccessError> {
    staff.require(Action::IdentityVerify)?;
    let note = note.trim();
    if note.chars().count() < 2 || note.chars().count() > 500 {
        return Err(AccessError::Invalid("请写明核实情况（2 至 500 字）".into()));
    }
    let card = IdNumber::parse(card_number, today)
        .map_err(|e| AccessError::Invalid(e.to_string()))?
        .id_number;
    let r = tx
        .query_opt(
            "SELECT claimant_account_id, holder_account_id, id_number, claimed_name FROM id_binding_dispute
             WHERE id = $1 AND status = 'open'",
            params![dispute_id],
        )?
        .ok_or(AccessError::NotFound)?;
    let (claimant, holder, number, name): (i64, i64, String, String) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    if card.as_str() != number {
        return Err(AccessError::Invalid(
            "所输证件号码与争议号码不一致：请核对居民出示的身份证".into(),
        ));
    }
    let now = now_text(chrono::Utc::now());
    let status = match decision {
        DisputeDecision::ToClaimant => {
            tx.execute(
                "UPDATE account SET id_number = NULL, real_name = NULL, id_verified_at = NULL, id_verified_by = NULL,
                    display_name = '居民', updated_at = $1 WHERE id = $2",
                params![now, holder],
            )?;
            tx.execute(
                "UPDATE account SET id_number = $1, real_name = $2, display_name = $2, id_verified_at = $3,
                    id_verified_by = $4, updated_at = $3 WHERE id = $5",
                params![number, name, now, staff.username, claimant],
            )?;
            "to_claimant"
        }
        DisputeDecision::KeepHolder => "kept_by_holder",
    };
    tx.execute(
        "UPDATE id_binding_dispute SET status = $1, resolved_at = $2, resolved_by = $3, resolution_note = $4 WHERE id = $5",
        params![status, now, staff.username, note, dispute_id],
    )?;
    let key = subject_key(tx, &number)?;
    audit::append(
        tx,
        &staff.audit(),
        AuditEntry {
            action: "account.id_binding_resolved",
            record_type: "id_binding_dispute",
            record_id: dispute_id.to_string(),
            subject_key: Some(key),
            before: None,
            after: None,
            detail: serde_json::json!({ "decision": status, "claimant": claimant, "holder": holder }),
        },
    )?;
    Ok(())
}
