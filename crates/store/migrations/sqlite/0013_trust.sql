-- Trust: one-time codes open citizen accounts only, ID-number bindings are verified, contested
-- bindings go to staff, anonymous objections are limited per address, and codes leave the outbox
-- after delivery.

-- A staff member's phone is not a way in: phones are unique among citizens only, so a staff
-- member may also have a citizen account under the same number.
DROP INDEX account_phone;
CREATE UNIQUE INDEX account_citizen_phone ON account (phone) WHERE role = 'citizen';
CREATE INDEX account_phone ON account (phone);

-- Successful sign-ins per address and account: an address over its failure limit stays open to the
-- accounts that signed in from it before.
CREATE INDEX sign_in_attempt_familiar ON sign_in_attempt (address, username, success, at);

-- How the ID number bound to a citizen's account was verified (NULL: self-declared only).
ALTER TABLE account ADD COLUMN id_verified_at TEXT;
ALTER TABLE account ADD COLUMN id_verified_by TEXT;

-- A citizen who finds their ID number bound to another account: staff check the card at a counter
-- and decide who holds it.
CREATE TABLE id_binding_dispute (
    id INTEGER PRIMARY KEY,
    claimant_account_id BIGINT NOT NULL REFERENCES account (id),
    holder_account_id BIGINT NOT NULL REFERENCES account (id),
    id_number TEXT NOT NULL,
    claimed_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution_note TEXT
);
CREATE INDEX id_binding_dispute_status ON id_binding_dispute (status, id);
CREATE UNIQUE INDEX id_binding_dispute_open ON id_binding_dispute (claimant_account_id, id_number) WHERE status = 'open';

-- Where an objection came from, so anonymous floods can be limited per address.
ALTER TABLE notice_objection ADD COLUMN address TEXT;
CREATE INDEX notice_objection_address ON notice_objection (address, submitted_at);
CREATE INDEX notice_objection_notice ON notice_objection (notice_id, submitted_at);

-- Messages whose body must not outlive delivery (one-time codes).
ALTER TABLE notification ADD COLUMN redact_after_delivery BOOLEAN NOT NULL DEFAULT FALSE;
