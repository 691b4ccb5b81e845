-- Two-factor authentication: one row per account that enrolled (or is
-- enrolling) a TOTP authenticator. The secret must be readable to check a
-- code; the recovery codes are kept as SHA-256 hashes only (they are
-- random, so a plain hash is enough), and a used one is removed.
-- last_step is the newest 30-second step accepted, so a code cannot be
-- replayed. A row with confirmed = 0 is an enrolment awaiting its first
-- code and protects nothing yet.
CREATE TABLE IF NOT EXISTS totp {{ on_cluster }}
(
    user_id         UUID,
    secret          String,
    confirmed       UInt8,
    recovery_hashes Array(String),
    last_step       UInt64,
    updated_at      DateTime64(6, 'UTC'),
    deleted         UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "totp" "global" "updated_at, deleted" }}
ORDER BY user_id;
