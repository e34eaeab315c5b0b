-- Foundation: the attachment store and the hash-chained audit log every area writes to.

CREATE TABLE attachment (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX attachment_sha256 ON attachment (sha256);

CREATE TABLE attachment_chunk (
    attachment_id BIGINT NOT NULL REFERENCES attachment (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    subject_key TEXT,
    before_digest TEXT,
    after_digest TEXT,
    detail TEXT NOT NULL,
    address TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id, seq);
CREATE INDEX audit_log_subject ON audit_log (subject_key, seq);
CREATE INDEX audit_log_at ON audit_log (at);
