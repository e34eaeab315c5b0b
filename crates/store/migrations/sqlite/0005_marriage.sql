-- 婚姻登记 (marriage): offices, time slots with quotas, appointments, the registrar's desk, divorce
-- cooling-off and the registry of marriages minzheng itself recorded.
-- Zero overbooking is held by the database: a slot's `booked` only moves by a conditional
-- `UPDATE ... SET booked = booked + 1 WHERE booked < quota`, and CHECK (booked <= quota) refuses
-- anything else; one active appointment per person is a partial unique index.

CREATE TABLE marriage_office (
    id BIGINT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    address TEXT NOT NULL,
    hours TEXT NOT NULL,
    services TEXT NOT NULL,
    windows TEXT NOT NULL,
    slot_quota BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX marriage_office_code ON marriage_office (code);
CREATE INDEX marriage_office_region ON marriage_office (region_code);

CREATE TABLE marriage_office_suspension (
    id INTEGER PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES marriage_office (id),
    from_date TEXT NOT NULL,
    to_date TEXT,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX marriage_office_suspension_office ON marriage_office_suspension (office_id, from_date);

CREATE TABLE marriage_special_date (
    id INTEGER PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES marriage_office (id),
    day TEXT NOT NULL,
    open BOOLEAN NOT NULL,
    quota BIGINT,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX marriage_special_date_day ON marriage_special_date (office_id, day);

CREATE TABLE time_slot (
    id INTEGER PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES marriage_office (id),
    day TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    quota BIGINT NOT NULL,
    booked BIGINT NOT NULL,
    release_at TEXT NOT NULL,
    closed BOOLEAN NOT NULL,
    CHECK (booked >= 0 AND booked <= quota)
);
CREATE UNIQUE INDEX time_slot_office_day ON time_slot (office_id, day, starts_at);

CREATE TABLE appointment (
    id INTEGER PRIMARY KEY,
    slot_id BIGINT NOT NULL REFERENCES time_slot (id),
    office_id BIGINT NOT NULL REFERENCES marriage_office (id),
    day TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    party1_name TEXT NOT NULL,
    party1_id_number TEXT NOT NULL,
    party1_hukou TEXT NOT NULL,
    party2_name TEXT NOT NULL,
    party2_id_number TEXT NOT NULL,
    party2_hukou TEXT NOT NULL,
    phone TEXT,
    idempotency_key TEXT NOT NULL,
    outcome_reason TEXT,
    certificate_number TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX appointment_idempotency_key ON appointment (idempotency_key);
CREATE INDEX appointment_office_day ON appointment (office_id, day, starts_at);
CREATE INDEX appointment_account ON appointment (account_id, day);
CREATE INDEX appointment_party1 ON appointment (party1_id_number, status);
CREATE INDEX appointment_party2 ON appointment (party2_id_number, status);

-- One row per party of an appointment; `active` while the appointment can still be used.
CREATE TABLE appointment_person (
    id INTEGER PRIMARY KEY,
    appointment_id BIGINT NOT NULL REFERENCES appointment (id),
    id_number TEXT NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX appointment_person_active ON appointment_person (id_number) WHERE active = TRUE;
CREATE INDEX appointment_person_appointment ON appointment_person (appointment_id);
CREATE INDEX appointment_person_id_number ON appointment_person (id_number);

-- Certificate sequences per office, kind and year: taken by an atomic increment.
CREATE TABLE marriage_certificate_counter (
    office_id BIGINT NOT NULL,
    prefix TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (office_id, prefix, year)
);

-- Every certificate minzheng issued (结婚证, 离婚证, 补发): the number is unique.
CREATE TABLE marriage_certificate (
    id INTEGER PRIMARY KEY,
    certificate_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    office_id BIGINT NOT NULL REFERENCES marriage_office (id),
    day TEXT NOT NULL,
    party1_id_number TEXT NOT NULL,
    party2_id_number TEXT NOT NULL,
    appointment_id BIGINT,
    registrar TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX marriage_certificate_number ON marriage_certificate (certificate_number);
CREATE INDEX marriage_certificate_office_day ON marriage_certificate (office_id, day);

-- The marriages minzheng registered, ended by a divorce it registered.
CREATE TABLE marriage_bond (
    id INTEGER PRIMARY KEY,
    party1_id_number TEXT NOT NULL,
    party2_id_number TEXT NOT NULL,
    married_on TEXT NOT NULL,
    certificate_number TEXT NOT NULL,
    divorced_on TEXT,
    divorce_certificate_number TEXT
);
CREATE UNIQUE INDEX marriage_bond_party1 ON marriage_bond (party1_id_number) WHERE divorced_on IS NULL;
CREATE UNIQUE INDEX marriage_bond_party2 ON marriage_bond (party2_id_number) WHERE divorced_on IS NULL;

-- A divorce by agreement received at the desk, through its cooling-off (民法典 art. 1077).
CREATE TABLE divorce_application (
    id INTEGER PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES marriage_office (id),
    appointment_id BIGINT,
    party1_name TEXT NOT NULL,
    party1_id_number TEXT NOT NULL,
    party2_name TEXT NOT NULL,
    party2_id_number TEXT NOT NULL,
    received_on TEXT NOT NULL,
    cool_end TEXT NOT NULL,
    window_end TEXT NOT NULL,
    status TEXT NOT NULL,
    ended_on TEXT,
    ended_reason TEXT,
    certificate_number TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX divorce_application_office ON divorce_application (office_id, status);
CREATE INDEX divorce_application_party1 ON divorce_application (party1_id_number, status);
CREATE INDEX divorce_application_party2 ON divorce_application (party2_id_number, status);
