-- Access: accounts, sessions, sign-in attempts, one-time codes and the notification outbox.

CREATE TABLE account (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    search_keys TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    unit_id BIGINT,
    password_hash TEXT,
    phone TEXT,
    id_number TEXT,
    real_name TEXT,
    disabled BOOLEAN NOT NULL,
    failed_attempts BIGINT NOT NULL,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX account_username ON account (username);
CREATE UNIQUE INDEX account_phone ON account (phone);
CREATE UNIQUE INDEX account_id_number ON account (id_number);
CREATE INDEX account_scope ON account (scope);

CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address TEXT,
    revoked BOOLEAN NOT NULL
);
CREATE INDEX session_account ON session (account_id);

CREATE TABLE sign_in_attempt (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    username TEXT NOT NULL,
    at TEXT NOT NULL,
    success BOOLEAN NOT NULL
);
CREATE INDEX sign_in_attempt_address ON sign_in_attempt (address, at);

CREATE TABLE one_time_code (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    address TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    used BOOLEAN NOT NULL
);
CREATE INDEX one_time_code_phone ON one_time_code (phone, created_at);
CREATE INDEX one_time_code_address ON one_time_code (address, created_at);

CREATE TABLE notification (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    last_error TEXT,
    sent_via TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX notification_due ON notification (status, next_attempt_at);
CREATE INDEX notification_recipient ON notification (recipient, id);
