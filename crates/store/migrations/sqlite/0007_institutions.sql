-- 民政服务机构 (institutions): the registry of care institutions and community care facilities
-- (one table, told apart by `category`, so that staff units, reports and inspections refer to one
-- id), residents and staff, closed-management orders with the five suspensions, the gate ledger,
-- health and incident reports with their escalation worklist, the policy library, safety
-- inspections and enforcement cases under the three systems.

CREATE TABLE institution (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    operator TEXT NOT NULL,
    socially_operated BOOLEAN NOT NULL,
    credit_code TEXT,
    address TEXT NOT NULL,
    region_code TEXT NOT NULL,
    licence_kind TEXT,
    licence_no TEXT,
    beds BIGINT NOT NULL,
    resident_count BIGINT NOT NULL,
    staff_count BIGINT NOT NULL,
    opened_on TEXT NOT NULL,
    closed_on TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX institution_credit_code ON institution (credit_code);
CREATE INDEX institution_region ON institution (region_code, id);
CREATE INDEX institution_opened ON institution (opened_on);

CREATE TABLE resident (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    care_level TEXT NOT NULL,
    area TEXT NOT NULL,
    room TEXT NOT NULL,
    status TEXT NOT NULL,
    admitted_on TEXT NOT NULL,
    discharged_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX resident_institution ON resident (institution_id, status);
CREATE UNIQUE INDEX resident_id_number_in ON resident (institution_id, id_number, admitted_on);

CREATE TABLE staff_member (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    name TEXT NOT NULL,
    post TEXT NOT NULL,
    phone TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX staff_member_institution ON staff_member (institution_id, status);

CREATE TABLE duty_shift (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    staff_id BIGINT NOT NULL REFERENCES staff_member (id),
    post TEXT NOT NULL,
    duty_date TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX duty_shift_unique ON duty_shift (staff_id, duty_date, starts_at);
CREATE INDEX duty_shift_institution ON duty_shift (institution_id, duty_date);

CREATE TABLE epidemic_order (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    issuer TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issuer_scope TEXT NOT NULL,
    from_date TEXT NOT NULL,
    regions TEXT NOT NULL,
    institution_kinds TEXT NOT NULL,
    lifted_on TEXT,
    lifted_by TEXT,
    lift_reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX epidemic_order_from ON epidemic_order (from_date);

CREATE TABLE risk_level (
    id INTEGER PRIMARY KEY,
    district_code TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    level TEXT NOT NULL,
    set_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX risk_level_unique ON risk_level (district_code, valid_from);

CREATE TABLE visit_request (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    resident_id BIGINT NOT NULL REFERENCES resident (id),
    visitor_name TEXT NOT NULL,
    visit_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX visit_request_institution ON visit_request (institution_id, visit_on);

CREATE TABLE admission_consultation (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    enquirer_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    consulted_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX admission_consultation_institution ON admission_consultation (institution_id, consulted_on);

CREATE TABLE group_activity (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    title TEXT NOT NULL,
    activity_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX group_activity_institution ON group_activity (institution_id, activity_on);

CREATE TABLE reentry (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    person_kind TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    person_name TEXT NOT NULL,
    returned_on TEXT NOT NULL,
    order_id BIGINT,
    quarantine_until TEXT,
    passed_on TEXT,
    passed_by TEXT,
    entered_on TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reentry_institution ON reentry (institution_id, status);

CREATE TABLE delivery (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    sender_name TEXT NOT NULL,
    sender_phone TEXT NOT NULL,
    items TEXT NOT NULL,
    resident_id BIGINT NOT NULL REFERENCES resident (id),
    area TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at TEXT NOT NULL,
    received_by TEXT NOT NULL,
    disinfected_at TEXT,
    disinfected_by TEXT,
    disinfection_method TEXT,
    notified_at TEXT,
    notified_by TEXT,
    collected_at TEXT,
    collected_by TEXT
);
CREATE INDEX delivery_institution ON delivery (institution_id, status, id);

CREATE TABLE health_report (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    region_code TEXT NOT NULL,
    report_date TEXT NOT NULL,
    residents_fever BIGINT NOT NULL,
    residents_symptoms BIGINT NOT NULL,
    staff_fever BIGINT NOT NULL,
    staff_symptoms BIGINT NOT NULL,
    in_isolation BIGINT NOT NULL,
    tested BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TEXT NOT NULL
);
CREATE UNIQUE INDEX health_report_unique ON health_report (institution_id, report_date);
CREATE INDEX health_report_date_region ON health_report (report_date, region_code);

CREATE TABLE incident (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    persons BIGINT NOT NULL,
    occurred_on TEXT NOT NULL,
    description TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TEXT NOT NULL
);
CREATE INDEX incident_region ON incident (region_code, occurred_on);

CREATE TABLE incident_worklist (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incident (id),
    level TEXT NOT NULL,
    region_code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT
);
CREATE UNIQUE INDEX incident_worklist_unique ON incident_worklist (incident_id, level);
CREATE INDEX incident_worklist_level ON incident_worklist (level, region_code);

CREATE TABLE policy_document (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    checklist BOOLEAN NOT NULL,
    issued_on TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX policy_document_number ON policy_document (number);

CREATE TABLE policy_confirmation (
    id INTEGER PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES policy_document (id),
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    region_code TEXT NOT NULL,
    evidence TEXT NOT NULL,
    attachment_id BIGINT,
    confirmed_on TEXT NOT NULL,
    confirmed_by TEXT NOT NULL
);
CREATE UNIQUE INDEX policy_confirmation_unique ON policy_confirmation (document_id, institution_id);
CREATE INDEX policy_confirmation_region ON policy_confirmation (region_code);

CREATE TABLE inspector (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    certificate_no TEXT NOT NULL,
    region_code TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX inspector_certificate ON inspector (certificate_no);

CREATE TABLE inspection_draw (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    drawn_on TEXT NOT NULL,
    seed TEXT NOT NULL,
    institution_pool TEXT NOT NULL,
    inspector_pool TEXT NOT NULL,
    institutions_drawn BIGINT NOT NULL,
    inspectors_each BIGINT NOT NULL,
    drawn_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE safety_inspection (
    id INTEGER PRIMARY KEY,
    draw_id BIGINT REFERENCES inspection_draw (id),
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    region_code TEXT NOT NULL,
    inspectors TEXT NOT NULL,
    status TEXT NOT NULL,
    inspected_on TEXT,
    findings TEXT,
    rectification_deadline TEXT,
    rectified_on TEXT,
    follow_up TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX safety_inspection_region ON safety_inspection (region_code, status);

CREATE TABLE enforcement_case (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institution (id),
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    facts TEXT NOT NULL,
    persons TEXT NOT NULL,
    officers TEXT NOT NULL,
    major BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    decision TEXT,
    decided_on TEXT,
    decided_by TEXT,
    publication_due TEXT,
    published_on TEXT,
    published_text TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX enforcement_case_region ON enforcement_case (region_code, status);

CREATE TABLE enforcement_record (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES enforcement_case (id),
    step TEXT NOT NULL,
    note TEXT NOT NULL,
    attachment_id BIGINT,
    sha256 TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX enforcement_record_case ON enforcement_record (case_id, id);

CREATE TABLE legal_review (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES enforcement_case (id),
    reviewer TEXT NOT NULL,
    approved BOOLEAN NOT NULL,
    opinion TEXT NOT NULL,
    reviewed_at TEXT NOT NULL
);
CREATE INDEX legal_review_case ON legal_review (case_id, id);
