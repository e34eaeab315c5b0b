-- 价格临时补贴 (price subsidy, RULES.md §4): the month's price indices as published, entered once
-- and corrected only until the month's subsidy has been paid, and the recipients the platform does
-- not otherwise enrol (优抚对象, 领取失业保险金人员, and the groups added for a period), imported
-- from the departments that pay them.

-- Year-on-year changes in basis points (3.6 % = 360); SCPI is entered when published.
CREATE TABLE price_index (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    cpi_yoy_bp BIGINT NOT NULL,
    food_cpi_yoy_bp BIGINT NOT NULL,
    scpi_yoy_bp BIGINT,
    source TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL
);
CREATE UNIQUE INDEX price_index_month ON price_index (month);

-- One row per person, group and period; `recipient_group` is the suffix of the
-- `price_subsidy.covers.*` switch that decides whether the group is paid in a month.
CREATE TABLE price_subsidy_recipient (
    id INTEGER PRIMARY KEY,
    recipient_group TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    account_kind TEXT NOT NULL,
    account_no TEXT NOT NULL,
    start_month TEXT NOT NULL,
    end_month TEXT,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE UNIQUE INDEX price_subsidy_recipient_once ON price_subsidy_recipient (recipient_group, id_number, start_month);
CREATE INDEX price_subsidy_recipient_region ON price_subsidy_recipient (region_code, id);
CREATE INDEX price_subsidy_recipient_id_number ON price_subsidy_recipient (id_number);

-- Whether a month's subsidy has been paid, in the city (then its indices are final) or in a
-- district, found without reading the other programs' payments; only price-subsidy lines carry it.
CREATE INDEX payment_price_subsidy_month ON payment (for_month, region_code) WHERE program = 'price_subsidy';
