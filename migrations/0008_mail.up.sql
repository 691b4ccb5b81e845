-- Email: one row per message key, its latest state (ReplacingMergeTree by
-- updated_at): pending (to send or retry at next_attempt), sent, or failed
-- (given up). last_error and failed_at stay after a later success, for
-- the operator's "last error". recipients and subject are kept for the operator's view;
-- the bodies are sealed with a key derived from --secret (a reset link in
-- them opens an account) and emptied once sent or given up. Everything is
-- purged 30 days after its last change.
CREATE TABLE IF NOT EXISTS mail_outbox {{ on_cluster }}
(
    key          String,
    status       LowCardinality(String),
    recipients   Array(String),
    subject      String,
    body         String,
    attempts     UInt32,
    last_error   String,
    failed_at    DateTime64(3, 'UTC'),
    next_attempt DateTime64(3, 'UTC'),
    created_at   DateTime64(3, 'UTC'),
    sent_at      DateTime64(3, 'UTC'),
    updated_at   DateTime64(6, 'UTC')
)
ENGINE = {{ engine "ReplacingMergeTree" "mail_outbox" "global" "updated_at" }}
ORDER BY key
TTL toDateTime(updated_at) + INTERVAL 30 DAY;

-- Claims to make one delivery attempt of a key, from every process that
-- shares the store: the earliest claim of an attempt (by the engine's
-- clock) wins it; a claim whose lease ended without an outcome is taken
-- over by the next attempt. See the mail package's documentation.
CREATE TABLE IF NOT EXISTS mail_claims {{ on_cluster }}
(
    key         String,
    attempt     UInt32,
    claimant    String,
    claimed_at  DateTime64(6, 'UTC') DEFAULT now64(6, 'UTC'),
    lease_until DateTime64(3, 'UTC')
)
ENGINE = {{ engine "MergeTree" "mail_claims" "global" }}
ORDER BY (key, attempt, claimed_at)
TTL toDateTime(claimed_at) + INTERVAL 30 DAY;
