-- Where an account and a site came from, for the grants that depend on it.
-- An account made by accepting an invitation link is held by whoever had
-- that link, not necessarily by the person its email names: the command
-- line gives such an account a site only through a new invitation. A site
-- added without owner from the command line is the one the first account
-- adopts; one whose owner was ever invited is not.

-- origin: 'first' (the instance's first account: first-run setup or
-- --bootstrap-user), 'direct' (made with a password by setup, the command
-- line or --bootstrap-user), 'invitation' (made by accepting a link). An
-- account without a row predates this table and is treated as unknown.
CREATE TABLE IF NOT EXISTS account_origins {{ on_cluster }}
(
    user_id    UUID,
    origin     LowCardinality(String),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = {{ engine "ReplacingMergeTree" "account_origins" "global" "updated_at" }}
ORDER BY user_id;

-- Sites the first account may adopt: added without owner from the command
-- line (site add without --owner, --bootstrap-site). An owner invitation
-- writes a tombstone (deleted = 1): such a site waits for its invitee, or
-- for an operator to invite again, never for the first account.
CREATE TABLE IF NOT EXISTS adoptable_sites {{ on_cluster }}
(
    site_id    UInt32,
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "adoptable_sites" "global" "updated_at, deleted" }}
ORDER BY site_id;

-- On upgrade, the oldest live account that is an operator (the one
-- first-run setup made, as in migration 4) is the first account. Rerun
-- after an interruption, it finds a row and adds none.
INSERT INTO account_origins (user_id, origin, updated_at)
SELECT id, 'first', now64(6, 'UTC') FROM users FINAL
WHERE deleted = 0 AND (SELECT count() FROM account_origins FINAL) = 0
    AND id IN (SELECT user_id FROM operators FINAL WHERE deleted = 0)
ORDER BY created_at, id
LIMIT 1;
