-- 动态管理 (periodic review of dibao households, RULES.md §1.6). Each enrolment has a review
-- profile (the household situation that sets how often it is re-checked, entered by staff and
-- `stable` until they do) and a chain of review tasks: at most one open task per enrolment, the
-- interval copied from the dated parameter in force when the task was set, and the outcome
-- recorded once with the new figures it found.

CREATE TABLE review_profile (
    enrolment_id BIGINT PRIMARY KEY REFERENCES enrolment (id),
    -- severe_member_stable | stable | able_unemployed
    category TEXT NOT NULL,
    reason TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);

CREATE TABLE review_task (
    id INTEGER PRIMARY KEY,
    enrolment_id BIGINT NOT NULL REFERENCES enrolment (id),
    program TEXT NOT NULL,
    household_id BIGINT,
    region_code TEXT NOT NULL,
    category TEXT NOT NULL,
    interval_months BIGINT NOT NULL,
    interval_key TEXT NOT NULL,
    -- The month the interval counts from: the last review, or the enrolment's start.
    base_month TEXT NOT NULL,
    due_month TEXT NOT NULL,
    -- due | done | cancelled
    status TEXT NOT NULL,
    scheduled_by TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    -- The outcome, once recorded: unchanged | increase | decrease | suspend | stop.
    review_month TEXT,
    outcome TEXT,
    reason TEXT,
    new_members BIGINT,
    new_counted_income_fen BIGINT,
    new_supplement_fen BIGINT,
    old_amount_fen BIGINT,
    new_amount_fen BIGINT,
    -- First month the outcome applies to, and the last month paid when it ends the benefit.
    effective_month TEXT,
    end_month TEXT,
    phase_out_months BIGINT,
    recorded_by TEXT,
    recorded_at TEXT
);
-- One task per review cycle (each review starts the next cycle from its own month, which must be
-- later than the cycle's base), and at most one open task per enrolment: scheduling twice, or
-- concurrently, creates nothing twice.
CREATE UNIQUE INDEX review_task_once ON review_task (enrolment_id, base_month) WHERE status <> 'cancelled';
CREATE UNIQUE INDEX review_task_one_open ON review_task (enrolment_id) WHERE status = 'due';
CREATE INDEX review_task_due ON review_task (status, due_month, region_code);
