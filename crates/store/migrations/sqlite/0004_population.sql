-- The population registry every area refers to: households (registered in a community) and their
-- members, by ID number. Loaded from counters, imports, other departments' data or, for demos and
-- load tests, the synthetic generator (origin = 'synthetic').

CREATE TABLE household (
    id BIGINT PRIMARY KEY,
    region_code TEXT NOT NULL,
    area_type TEXT NOT NULL,
    address TEXT NOT NULL,
    deposits_fen BIGINT NOT NULL,
    vehicles BIGINT NOT NULL,
    housing_units BIGINT NOT NULL,
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX household_region ON household (region_code, id);

CREATE TABLE person (
    id BIGINT PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES household (id),
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    search_keys TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    relation TEXT NOT NULL,
    hukou_region TEXT NOT NULL,
    region_code TEXT NOT NULL,
    monthly_income_fen BIGINT NOT NULL,
    disability_kind TEXT,
    disability_level BIGINT,
    serious_illness BOOLEAN NOT NULL,
    student BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX person_id_number ON person (id_number);
CREATE INDEX person_household ON person (household_id);
CREATE INDEX person_region ON person (region_code, id);
