-- Reference data kept in the database: dated policy parameters (seeded from data/policy-parameters.csv,
-- superseded by new dated rows, never edited) and holiday notices of years past the built-in calendar.

CREATE TABLE policy_parameter (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    region_scope TEXT NOT NULL,
    value BIGINT NOT NULL,
    unit TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    source TEXT NOT NULL,
    confidence TEXT NOT NULL,
    note TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX policy_parameter_key ON policy_parameter (key, region_scope, valid_from);

CREATE TABLE calendar_notice (
    id INTEGER PRIMARY KEY,
    year BIGINT NOT NULL,
    content TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);
CREATE INDEX calendar_notice_year ON calendar_notice (year, id);
