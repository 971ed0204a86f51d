-- Accounts in full: identity documents of every type, closure, passkeys, login history, verification
-- evidence, organisations with their members, roles, and the hash-chained audit log.

ALTER TABLE people ADD COLUMN close_after INTEGER;
ALTER TABLE people ADD COLUMN erased_at INTEGER;

CREATE TABLE passkeys (
    id               TEXT PRIMARY KEY,
    person_id        TEXT NOT NULL REFERENCES people (id),
    credential_id    TEXT NOT NULL,
    passkey          TEXT NOT NULL,
    name             TEXT NOT NULL,
    attachment       TEXT,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER
);
CREATE UNIQUE INDEX passkeys_credential_id_uq ON passkeys (credential_id);
CREATE INDEX passkeys_person_idx ON passkeys (person_id);

CREATE TABLE login_events (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id),
    client_id   TEXT,
    methods     TEXT NOT NULL,
    ip_prefix   TEXT,
    user_agent  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX login_events_person_idx ON login_events (person_id, created_at);

CREATE TABLE verification_evidence (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people (id),
    method       TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    hall_id      TEXT,
    outcome      TEXT NOT NULL,
    reference    TEXT,
    adapter      TEXT,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    revoked_by   TEXT,
    revoke_reason TEXT
);
CREATE INDEX verification_evidence_person_idx ON verification_evidence (person_id, created_at);

CREATE TABLE organisations (
    id           TEXT PRIMARY KEY,
    uscc         TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX organisations_uscc_uq ON organisations (uscc);

CREATE TABLE org_members (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    person_id    TEXT NOT NULL REFERENCES people (id),
    role         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    valid_from   INTEGER NOT NULL,
    valid_until  INTEGER,
    granted_by   TEXT,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    revoked_by   TEXT
);
CREATE INDEX org_members_person_idx ON org_members (person_id, revoked_at);
CREATE INDEX org_members_org_idx ON org_members (org_id, revoked_at);

CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people (id),
    role         TEXT NOT NULL,
    scope_id     TEXT,
    granted_by   TEXT,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX roles_person_idx ON roles (person_id, revoked_at);

CREATE TABLE audit_head (
    id     INTEGER PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');

CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_id     TEXT,
    actor_role   TEXT NOT NULL,
    hall_id      TEXT,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT,
    detail       TEXT NOT NULL,
    origin       TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    person_id    TEXT NOT NULL REFERENCES people (id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE UNIQUE INDEX api_tokens_hash_uq ON api_tokens (token_hash);

ALTER TABLE grants ADD COLUMN acting_org_id TEXT;
ALTER TABLE clients ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
