-- Department developers' requests for a business system's credentials. In production a department
-- administrator approves or rejects each; in a sandbox, or for the sandbox linked to production
-- (environment 'sandbox', registered there at once; 'local' is registered here), it is granted at once. The secret of an approved
-- request is kept sealed until the requester has seen it once, then forgotten. sandbox_used_at is when the
-- sandbox client first completed a sign-in there.
CREATE TABLE integration_requests (
    id                         TEXT PRIMARY KEY,
    person_id                  TEXT NOT NULL REFERENCES people (id),
    system_id                  TEXT NOT NULL,
    name                       TEXT NOT NULL,
    protocol                   TEXT NOT NULL,
    environment                TEXT NOT NULL DEFAULT 'local',
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL,
    purpose                    TEXT NOT NULL,
    status                     TEXT NOT NULL,
    decided_by                 TEXT,
    decided_at                 BIGINT,
    decision_note              TEXT,
    client_id                  TEXT,
    secret_enc                 BYTEA,
    secret_shown_at            BIGINT,
    sandbox_used_at            BIGINT,
    created_at                 BIGINT NOT NULL
);
CREATE INDEX integration_requests_person_idx ON integration_requests (person_id, created_at);
CREATE INDEX integration_requests_system_idx ON integration_requests (system_id, status);
