-- Single logout. Clients may register where to be told of a logout: a back-channel URI, which yimen POSTs
-- a signed logout token to, and a front-channel URI, which the logout page loads in a hidden frame.
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN frontchannel_logout_session_required INTEGER NOT NULL DEFAULT 0;

-- The durable queue of back-channel logout notices: one per ended login session and client that had a
-- login in it, written in the transaction that ends the session, so that neither a crash nor a restart
-- loses one. Pending while both delivered_at and failed_at are NULL; next_attempt_at also serves as the
-- lease of the instance delivering it.
CREATE TABLE logout_deliveries (
    session_id       TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    person_id        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    delivered_at     INTEGER,
    failed_at        INTEGER,
    last_error       TEXT,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX logout_deliveries_due_idx ON logout_deliveries (next_attempt_at);
CREATE INDEX logout_deliveries_client_idx ON logout_deliveries (client_id, created_at);

-- Sessions that expire unended are ended by a sweep, so that their clients hear of it too.
CREATE INDEX login_sessions_expiry_idx ON login_sessions (expires_at);
