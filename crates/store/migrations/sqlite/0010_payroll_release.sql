-- 待遇发放 (benefits), the second half of a payroll cycle: bank files (代发文件) released to the
-- banks, the banks' return files (回盘) line by line, failed payments reissued in a later cycle or
-- kept on a worklist, and the two programs paid without a monthly standard.

INSERT INTO benefit_program (code, name, unit, sort_order) VALUES
    ('temporary_assistance', '临时救助', 'household', 10),
    ('price_subsidy', '价格临时补贴', 'person', 11);

-- A fixed amount decided once (temporary assistance); zero for programs paid by a standard.
ALTER TABLE enrolment ADD COLUMN fixed_amount_fen BIGINT NOT NULL DEFAULT 0;
-- The assistance decision an enrolment comes from: one enrolment per decision and program.
ALTER TABLE enrolment ADD COLUMN application_id BIGINT;
CREATE UNIQUE INDEX enrolment_from_application ON enrolment (application_id, program) WHERE application_id IS NOT NULL;
-- The day the decision was made: the first month is prorated from it where the proration
-- parameter says so.
ALTER TABLE enrolment ADD COLUMN decided_on TEXT;

ALTER TABLE payroll_cycle ADD COLUMN released_by TEXT;
ALTER TABLE payroll_cycle ADD COLUMN released_at TEXT;
ALTER TABLE payroll_cycle ADD COLUMN reconciled_by TEXT;
ALTER TABLE payroll_cycle ADD COLUMN reconciled_at TEXT;
ALTER TABLE payroll_cycle ADD COLUMN closed_by TEXT;
ALTER TABLE payroll_cycle ADD COLUMN closed_at TEXT;

-- A reissue pays again, in a later cycle, a payment the bank returned as failed; it is unique per
-- failed payment as a recovery is per recovered one. Regular and arrears lines stay one per
-- beneficiary, program and month.
ALTER TABLE payment ADD COLUMN reissues_payment_id BIGINT;
-- The payee as computed: the bank file is written from the frozen line, so an account corrected
-- after the computation pays from the next cycle (a failed line is reissued to the new account).
ALTER TABLE payment ADD COLUMN payee_name TEXT NOT NULL DEFAULT '';
ALTER TABLE payment ADD COLUMN account_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE payment ADD COLUMN account_no TEXT NOT NULL DEFAULT '';
DROP INDEX payment_once;
CREATE UNIQUE INDEX payment_once ON payment (program, id_number, for_month) WHERE kind IN ('regular', 'arrears');
CREATE UNIQUE INDEX payment_reissued_once ON payment (reissues_payment_id) WHERE kind = 'reissue';

-- How a bank wants its file: CSV or fixed-width, UTF-8 or GBK, social-security card or account.
CREATE TABLE bank_layout (
    bank_code TEXT PRIMARY KEY,
    bank_name TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    account_kind TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO bank_layout (bank_code, bank_name, format, encoding, account_kind, updated_at) VALUES
    ('CQRCB', '重庆农村商业银行', 'fixed', 'gbk', 'ssc', '2026-01-01T00:00:00Z'),
    ('ICBC', '中国工商银行重庆市分行', 'csv', 'utf-8', 'any', '2026-01-01T00:00:00Z'),
    ('CCB', '中国建设银行重庆市分行', 'csv', 'gbk', 'any', '2026-01-01T00:00:00Z'),
    ('PSBC', '中国邮政储蓄银行重庆分行', 'fixed', 'utf-8', 'ssc', '2026-01-01T00:00:00Z');

-- One file per cycle (district and month) and bank, with its control record.
CREATE TABLE bank_file (
    id INTEGER PRIMARY KEY,
    cycle_id BIGINT NOT NULL REFERENCES payroll_cycle (id),
    bank_code TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX bank_file_once ON bank_file (cycle_id, bank_code);

-- A bank's return file, imported whole or not at all.
CREATE TABLE bank_return (
    id INTEGER PRIMARY KEY,
    bank_file_id BIGINT NOT NULL REFERENCES bank_file (id),
    sha256 TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    paid_count BIGINT NOT NULL,
    paid_fen BIGINT NOT NULL,
    failed_count BIGINT NOT NULL,
    failed_fen BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE UNIQUE INDEX bank_return_once ON bank_return (bank_file_id);

-- The bank's answer for one payment. A failure goes to the next cycle (reissued to the same
-- account) or to the worklist (the account must be corrected first, then it is reissued).
CREATE TABLE payment_result (
    payment_id BIGINT PRIMARY KEY,
    bank_return_id BIGINT NOT NULL REFERENCES bank_return (id),
    cycle_id BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    follow_up TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT
);
CREATE INDEX payment_result_follow_up ON payment_result (follow_up, outcome);
