-- 待遇发放 (benefits): programs, enrolments, stops, and the monthly payroll with its payments.
-- A computed payment is never edited: arrears and recoveries are lines of their own, and the
-- database allows one regular-or-arrears payment per beneficiary, program and month.

CREATE TABLE benefit_program (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    sort_order BIGINT NOT NULL
);
INSERT INTO benefit_program (code, name, unit, sort_order) VALUES
    ('dibao_urban', '城市最低生活保障', 'household', 1),
    ('dibao_rural', '农村最低生活保障', 'household', 2),
    ('tekun_institutional', '特困人员集中供养', 'person', 3),
    ('tekun_dispersed', '特困人员分散供养', 'person', 4),
    ('orphan_institutional', '集中供养孤儿基本生活费', 'person', 5),
    ('orphan_dispersed', '散居孤儿基本生活费', 'person', 6),
    ('unattended_child', '事实无人抚养儿童基本生活补贴', 'person', 7),
    ('disability_living', '困难残疾人生活补贴', 'person', 8),
    ('disability_care', '重度残疾人护理补贴', 'person', 9);

CREATE TABLE enrolment (
    id INTEGER PRIMARY KEY,
    program TEXT NOT NULL REFERENCES benefit_program (code),
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    household_id BIGINT,
    region_code TEXT NOT NULL,
    area_type TEXT NOT NULL,
    members BIGINT NOT NULL,
    counted_income_fen BIGINT NOT NULL,
    supplement_fen BIGINT NOT NULL,
    care_tier TEXT,
    bank_code TEXT NOT NULL,
    account_kind TEXT NOT NULL,
    account_no TEXT NOT NULL,
    start_month TEXT NOT NULL,
    end_month TEXT,
    first_paid_month TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX enrolment_one_open ON enrolment (program, id_number) WHERE status <> 'stopped';
CREATE INDEX enrolment_region ON enrolment (region_code, id);
CREATE INDEX enrolment_id_number ON enrolment (id_number);
-- The few enrolments never paid yet: the payroll finds them for arrears without a scan.
CREATE INDEX enrolment_unpaid ON enrolment (region_code) WHERE first_paid_month IS NULL;

CREATE TABLE enrolment_event (
    id INTEGER PRIMARY KEY,
    enrolment_id BIGINT NOT NULL REFERENCES enrolment (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    effective_month TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX enrolment_event_enrolment ON enrolment_event (enrolment_id, id);

CREATE TABLE beneficiary_stop (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE UNIQUE INDEX beneficiary_stop_once ON beneficiary_stop (id_number, kind);

CREATE TABLE payroll_cycle (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    district_code TEXT NOT NULL,
    status TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    computed_by TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    authorized_by TEXT,
    authorized_at TEXT
);
CREATE UNIQUE INDEX payroll_cycle_once ON payroll_cycle (month, district_code);

CREATE TABLE payroll_total (
    cycle_id BIGINT NOT NULL REFERENCES payroll_cycle (id),
    program TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    PRIMARY KEY (cycle_id, program, bank_code)
);

-- Payment lines are written only by the payroll, from the cycle and enrolments it has just read in
-- the same transaction; they carry no foreign keys, whose per-row checks cost PostgreSQL more than
-- the insert itself on a payroll of a million lines.
CREATE TABLE payment (
    id INTEGER PRIMARY KEY,
    cycle_id BIGINT NOT NULL,
    enrolment_id BIGINT NOT NULL,
    program TEXT NOT NULL,
    id_number TEXT NOT NULL,
    region_code TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    for_month TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    explanation TEXT NOT NULL,
    recovers_payment_id BIGINT
);
CREATE UNIQUE INDEX payment_once ON payment (program, id_number, for_month) WHERE kind <> 'recovery';
CREATE UNIQUE INDEX payment_recovered_once ON payment (recovers_payment_id) WHERE kind = 'recovery';
CREATE INDEX payment_cycle ON payment (cycle_id, id);
CREATE INDEX payment_id_number ON payment (id_number, for_month);
