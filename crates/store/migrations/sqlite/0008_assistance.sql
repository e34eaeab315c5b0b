-- 社会救助 (assistance): household membership, incomes and assets (on top of the household and
-- person tables of 0004), the possible-duplicate flags, the conflict-of-interest register, the
-- applications and their event trail, means checks, home visits, appraisal meetings with each
-- member's vote, public notices with objections, and one-door referrals.

-- Who counts in a household: one row per membership; a person is active in one household only.
CREATE TABLE household_member (
    id INTEGER PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES household (id),
    person_id BIGINT NOT NULL REFERENCES person (id),
    relation TEXT NOT NULL,
    co_resident BOOLEAN NOT NULL,
    exclusion TEXT NOT NULL,
    exclusion_since TEXT,
    separate_household BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    joined_on TEXT NOT NULL,
    left_on TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX household_member_one_active ON household_member (person_id) WHERE active;
CREATE INDEX household_member_household ON household_member (household_id, active);

-- Incomes by kind and month; `countable` is decided from the kind and the parameters of the month.
CREATE TABLE household_income (
    id INTEGER PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES household (id),
    person_id BIGINT,
    kind TEXT NOT NULL,
    month TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    countable BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX household_income_month ON household_income (household_id, month);

-- Assets, dated: deposits, vehicles, housing, securities, business, claims, other.
CREATE TABLE household_asset (
    id INTEGER PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES household (id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    value_fen BIGINT NOT NULL,
    exempt BOOLEAN NOT NULL,
    as_of TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX household_asset_household ON household_asset (household_id, as_of);

-- A possible duplicate person (same name and birth date, or same pinyin key and a near birth date),
-- for a person to decide.
CREATE TABLE person_duplicate (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES person (id),
    other_person_id BIGINT NOT NULL REFERENCES person (id),
    region_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX person_duplicate_pair ON person_duplicate (person_id, other_person_id);
CREATE INDEX person_duplicate_open ON person_duplicate (region_code, status);

-- 近亲属备案: relatives of assistance staff and community cadres (重庆条例 art. 33).
CREATE TABLE staff_relative (
    id INTEGER PRIMARY KEY,
    relative_id_number TEXT NOT NULL,
    relative_name TEXT NOT NULL,
    staff_name TEXT NOT NULL,
    staff_position TEXT NOT NULL,
    relation TEXT NOT NULL,
    region_code TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX staff_relative_pair ON staff_relative (relative_id_number, staff_name);

-- One application (dibao, tekun, temporary_assistance) and where it stands.
CREATE TABLE assistance_application (
    id INTEGER PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES household (id),
    applicant_person_id BIGINT NOT NULL REFERENCES person (id),
    region_code TEXT NOT NULL,
    program TEXT NOT NULL,
    subtype TEXT,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    is_open BOOLEAN NOT NULL,
    rule_set TEXT,
    citizen_account_id BIGINT,
    phone TEXT,
    reason TEXT NOT NULL,
    documents TEXT NOT NULL,
    authorization_signed BOOLEAN NOT NULL,
    missing TEXT,
    close_relative BOOLEAN NOT NULL,
    sample_visit BOOLEAN NOT NULL,
    requested_fen BIGINT,
    self_care_fails BIGINT,
    amount_fen BIGINT,
    first_month TEXT,
    explanation TEXT,
    refusal_reasons TEXT,
    submitted_on TEXT NOT NULL,
    accepted_on TEXT,
    decided_on TEXT,
    deadline TEXT,
    time_limit BIGINT,
    paused_days BIGINT NOT NULL,
    paused_workdays BIGINT NOT NULL,
    paused_since TEXT,
    processing_days BIGINT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX assistance_application_one_open ON assistance_application (household_id, program) WHERE is_open;
CREATE INDEX assistance_application_worklist ON assistance_application (region_code, is_open, deadline);
CREATE INDEX assistance_application_state ON assistance_application (state, region_code);
CREATE INDEX assistance_application_citizen ON assistance_application (citizen_account_id);

-- Every transition of an application: who, when, from, to, why. `seq` follows the version, so two
-- racing transitions cannot both land.
CREATE TABLE assistance_event (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    on_date TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE UNIQUE INDEX assistance_event_seq ON assistance_event (application_id, seq);

-- 家庭经济状况核对 results (entered here; the sharing area will fill them automatically).
CREATE TABLE means_check (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    checked_on TEXT NOT NULL,
    source TEXT NOT NULL,
    monthly_income_fen BIGINT NOT NULL,
    assets_ok BOOLEAN NOT NULL,
    findings TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX means_check_application ON means_check (application_id);

-- 入户调查, the district's sample visit, and the mandatory visit for relatives of staff.
CREATE TABLE home_visit (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    kind TEXT NOT NULL,
    visited_on TEXT NOT NULL,
    staff TEXT NOT NULL,
    staff_count BIGINT NOT NULL,
    findings TEXT NOT NULL,
    photos TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX home_visit_application ON home_visit (application_id);

-- 民主评议: the meeting, its members (accounts), attendance and each member's own vote.
CREATE TABLE appraisal_meeting (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    held_on TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX appraisal_meeting_application ON appraisal_meeting (application_id);

CREATE TABLE appraisal_member (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES appraisal_meeting (id),
    account_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    present BOOLEAN NOT NULL,
    vote TEXT,
    opinion TEXT,
    voted_at TEXT
);
CREATE UNIQUE INDEX appraisal_member_once ON appraisal_member (meeting_id, account_id);
CREATE INDEX appraisal_member_account ON appraisal_member (account_id);

-- 公示 (7 days) and 复查公示 (3 days), and the objections anyone may raise during the window.
CREATE TABLE public_notice (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX public_notice_region ON public_notice (region_code, status, ends_on);
CREATE INDEX public_notice_application ON public_notice (application_id);

CREATE TABLE notice_objection (
    id INTEGER PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES public_notice (id),
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    objector TEXT NOT NULL,
    contact TEXT NOT NULL,
    content TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    resolution TEXT
);
CREATE INDEX notice_objection_application ON notice_objection (application_id);

-- 一门受理、协同办理: a request taken at the counter and referred to the department that decides it.
CREATE TABLE assistance_referral (
    id INTEGER PRIMARY KEY,
    application_id BIGINT REFERENCES assistance_application (id),
    region_code TEXT NOT NULL,
    person_name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    phone TEXT,
    to_dept TEXT NOT NULL,
    item_type TEXT NOT NULL,
    description TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_on TEXT,
    feedback_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assistance_referral_worklist ON assistance_referral (region_code, status, due_on);
CREATE INDEX assistance_referral_dept ON assistance_referral (to_dept, status, due_on);

-- Possible-duplicate checks look people up by birth date (then name or pinyin).
CREATE INDEX person_birth_date ON person (birth_date);
-- The worklist scans open cases in deadline order (then filters by scope).
CREATE INDEX assistance_application_deadline ON assistance_application (is_open, deadline);

-- Photos of documents (申请材料) and of home visits, stored as attachments.
CREATE TABLE assistance_document (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES assistance_application (id),
    kind TEXT NOT NULL,
    attachment_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assistance_document_application ON assistance_document (application_id);
