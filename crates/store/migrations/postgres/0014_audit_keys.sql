-- Keyed audit hashes: each row records the id of the chain key (in the key file, outside the
-- database) whose HMAC seals it. Rows written before have none and keep their unkeyed SHA-256;
-- they are accepted only as the start of the chain, as far as the checkpoints vouch for them.

ALTER TABLE audit_log ADD COLUMN key_id BIGINT;

-- Rows without a key id are few and never written again: this index stays as small as they are,
-- and finds the last of them for every checkpoint.
CREATE INDEX audit_log_unkeyed ON audit_log (seq) WHERE key_id IS NULL;
