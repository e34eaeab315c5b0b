-- 基层治理 (governance): residents' requests through the seven steps (7单工作法), 三事分流 triage,
-- referrals of major matters, the pact and councils (一约三会) with meetings and votes, the four duty
-- lists (四张清单) with the tasks pushed to communities, and the configuration tables that hold the
-- local definitions ([OPEN] in RULES.md §14.2): steps, triage classes, list kinds, categories,
-- channels, council kinds and owner kinds are rows here, seeded below, renamed by an administrator.

CREATE TABLE governance_option (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    position BIGINT NOT NULL,
    flag TEXT NOT NULL
);
CREATE UNIQUE INDEX governance_option_key ON governance_option (kind, code);

INSERT INTO governance_option (kind, code, name_zh, position, flag) VALUES
    ('step', 'collect', '收单', 1, ''),
    ('step', 'screen', '筛单', 2, ''),
    ('step', 'decide', '定单', 3, ''),
    ('step', 'deliberate', '议单', 4, ''),
    ('step', 'publicize', '晒单', 5, ''),
    ('step', 'implement', '落单', 6, ''),
    ('step', 'revise', '修单', 7, ''),
    ('step', 'closed', '已办结', 8, ''),
    ('triage', 'major', '大事', 1, 'referral'),
    ('triage', 'minor', '小事', 2, ''),
    ('triage', 'private', '私事', 3, ''),
    ('duty_list_kind', 'self_governance', '依法自治事项清单', 1, 'allow'),
    ('duty_list_kind', 'assist_government', '依法协助政府工作事项清单', 2, 'allow'),
    ('duty_list_kind', 'forbidden', '负面事项清单', 3, 'forbid'),
    ('duty_list_kind', 'certificate', '依法出具证明事项清单', 4, 'certificate'),
    ('council_kind', 'hearing', '听证会', 1, ''),
    ('council_kind', 'coordination', '协调会', 2, ''),
    ('council_kind', 'appraisal', '评议会', 3, ''),
    ('owner_kind', 'cadre', '村（社区）干部', 1, ''),
    ('owner_kind', 'party_member', '党员', 2, ''),
    ('owner_kind', 'elder', '乡贤', 3, ''),
    ('channel', 'phone', '居民手机提交', 1, ''),
    ('channel', 'behalf', '社区工作者代办', 2, ''),
    ('channel', 'meeting', '会议收集', 3, ''),
    ('category', 'environment', '环境卫生', 1, ''),
    ('category', 'facilities', '设施维修', 2, ''),
    ('category', 'safety', '安全隐患', 3, ''),
    ('category', 'neighbours', '邻里纠纷', 4, ''),
    ('category', 'elderly', '养老助残', 5, ''),
    ('category', 'other', '其他', 6, '');

CREATE TABLE request (
    id INTEGER PRIMARY KEY,
    previous_id BIGINT REFERENCES request (id),
    cycle BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    street_code TEXT NOT NULL,
    district_code TEXT NOT NULL,
    step TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    raiser_account_id BIGINT,
    raiser_name TEXT NOT NULL,
    raiser_phone TEXT,
    raised_by TEXT NOT NULL,
    raised_on TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    triage TEXT,
    triage_reason TEXT,
    decision TEXT,
    decision_reason TEXT,
    owner_kind TEXT,
    owner_name TEXT,
    plan TEXT,
    budget_fen BIGINT,
    deadline TEXT,
    meeting_id BIGINT,
    published_on TEXT,
    percent_done BIGINT NOT NULL,
    completed_on TEXT,
    on_time BOOLEAN,
    rating BIGINT,
    rating_comment TEXT,
    review TEXT,
    reopened BOOLEAN NOT NULL,
    closed_on TEXT,
    updated_at TEXT NOT NULL,
    CHECK (percent_done BETWEEN 0 AND 100),
    CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    CHECK (budget_fen IS NULL OR budget_fen >= 0)
);
CREATE INDEX request_board ON request (region_code, id);
CREATE INDEX request_raiser ON request (raiser_account_id, id);
CREATE UNIQUE INDEX request_reopen ON request (previous_id);

-- The indicators' running totals per community and triage class ('' = not yet screened), kept by
-- the services in the same transaction as every change of a request (delta of the old and new
-- state), so a city-wide dashboard sums ~45k rows instead of scanning every request.
-- `minzheng governance retally` rebuilds it from `request`.
CREATE TABLE request_tally (
    region_code TEXT NOT NULL,
    triage TEXT NOT NULL,
    total BIGINT NOT NULL,
    completed BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL,
    rating_1 BIGINT NOT NULL,
    rating_2 BIGINT NOT NULL,
    rating_3 BIGINT NOT NULL,
    rating_4 BIGINT NOT NULL,
    rating_5 BIGINT NOT NULL,
    ended BIGINT NOT NULL,
    reopened BIGINT NOT NULL
);
CREATE UNIQUE INDEX request_tally_key ON request_tally (region_code, triage);

CREATE TABLE request_event (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES request (id),
    action TEXT NOT NULL,
    from_step TEXT,
    to_step TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX request_event_request ON request_event (request_id, id);

CREATE TABLE request_progress (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES request (id),
    percent_done BIGINT NOT NULL,
    note TEXT NOT NULL,
    on_date TEXT NOT NULL,
    by_actor TEXT NOT NULL,
    CHECK (percent_done BETWEEN 0 AND 100)
);
CREATE INDEX request_progress_request ON request_progress (request_id, id);

CREATE TABLE request_photo (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES request (id),
    progress_id BIGINT REFERENCES request_progress (id),
    attachment_id BIGINT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX request_photo_request ON request_photo (request_id, id);

CREATE TABLE referral (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES request (id),
    department TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    answer TEXT,
    answered_on TEXT,
    answered_by TEXT
);
CREATE UNIQUE INDEX referral_request ON referral (request_id);

CREATE TABLE pact_version (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    adopted_by TEXT NOT NULL,
    adopted_at TEXT NOT NULL
);
CREATE UNIQUE INDEX pact_version_key ON pact_version (region_code, version);

CREATE TABLE council (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX council_key ON council (region_code, kind);

CREATE TABLE meeting (
    id INTEGER PRIMARY KEY,
    council_id BIGINT NOT NULL REFERENCES council (id),
    region_code TEXT NOT NULL,
    request_id BIGINT REFERENCES request (id),
    topic TEXT NOT NULL,
    held_on TEXT NOT NULL,
    quorum_numerator BIGINT NOT NULL,
    quorum_denominator BIGINT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    resolution TEXT,
    minutes TEXT,
    votes_yes BIGINT,
    votes_no BIGINT,
    votes_abstain BIGINT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX meeting_region ON meeting (region_code, id);
CREATE INDEX meeting_request ON meeting (request_id);

CREATE TABLE meeting_participant (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meeting (id),
    account_id BIGINT NOT NULL,
    display_name TEXT NOT NULL,
    capacity TEXT NOT NULL
);
CREATE UNIQUE INDEX meeting_participant_key ON meeting_participant (meeting_id, account_id);
CREATE INDEX meeting_participant_account ON meeting_participant (account_id);

CREATE TABLE meeting_vote (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meeting (id),
    account_id BIGINT NOT NULL,
    choice TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX meeting_vote_key ON meeting_vote (meeting_id, account_id);

CREATE TABLE duty_list (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    adopted_by TEXT NOT NULL,
    adopted_at TEXT NOT NULL
);
CREATE UNIQUE INDEX duty_list_region ON duty_list (region_code);

CREATE TABLE duty_item (
    id INTEGER PRIMARY KEY,
    duty_list_id BIGINT NOT NULL REFERENCES duty_list (id),
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL
);
CREATE UNIQUE INDEX duty_item_key ON duty_item (duty_list_id, kind, name);

CREATE TABLE pushed_task (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    street_code TEXT NOT NULL,
    district_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    pushed_on TEXT NOT NULL,
    pushed_by TEXT NOT NULL,
    lists_in_force BOOLEAN NOT NULL,
    outcome TEXT NOT NULL,
    duty_item_id BIGINT REFERENCES duty_item (id),
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX pushed_task_region ON pushed_task (region_code, id);
