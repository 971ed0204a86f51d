-- Core of the OpenID provider: people, clients, signing keys, SSO sessions, consents, grants, refresh tokens.
-- Times are unix seconds (UTC); ids are UUIDv7 text; lists are JSON text; flags are 0/1 integers.

CREATE TABLE people (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    id_type           TEXT NOT NULL,
    id_number_enc     BYTEA NOT NULL,
    id_number_index   TEXT NOT NULL,
    phone_enc         BYTEA,
    phone_index       TEXT,
    phone_verified    BIGINT NOT NULL DEFAULT 0,
    password_hash     TEXT,
    status            TEXT NOT NULL DEFAULT 'active',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX people_id_number_index_uq ON people (id_type, id_number_index);
CREATE UNIQUE INDEX people_phone_index_uq ON people (phone_index);

CREATE TABLE clients (
    id                            TEXT PRIMARY KEY,
    name                          TEXT NOT NULL,
    secret_hash                   TEXT,
    redirect_uris                 TEXT NOT NULL,
    post_logout_redirect_uris     TEXT NOT NULL,
    grant_types                   TEXT NOT NULL,
    token_endpoint_auth_method    TEXT NOT NULL,
    id_token_signed_response_alg  TEXT NOT NULL,
    subject_type                  TEXT NOT NULL,
    sector_identifier             TEXT NOT NULL,
    allowed_scopes                TEXT NOT NULL,
    jwks                          TEXT,
    enabled                       BIGINT NOT NULL DEFAULT 1,
    created_at                    BIGINT NOT NULL,
    updated_at                    BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid              TEXT PRIMARY KEY,
    alg              TEXT NOT NULL,
    private_key_enc  BYTEA NOT NULL,
    public_jwk       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    activates_at     BIGINT NOT NULL,
    retires_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);

CREATE TABLE login_sessions (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people (id),
    auth_time    BIGINT NOT NULL,
    amr          TEXT NOT NULL,
    acr          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    end_reason   TEXT,
    user_agent   TEXT,
    ip           TEXT
);
CREATE INDEX login_sessions_person_idx ON login_sessions (person_id, ended_at);

CREATE TABLE consents (
    person_id   TEXT NOT NULL REFERENCES people (id),
    client_id   TEXT NOT NULL REFERENCES clients (id),
    scopes      TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (person_id, client_id)
);

CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    person_id      TEXT NOT NULL REFERENCES people (id),
    session_id     TEXT,
    scopes         TEXT NOT NULL,
    claims         TEXT,
    auth_time      BIGINT NOT NULL,
    acr            TEXT NOT NULL,
    amr            TEXT NOT NULL,
    nonce          TEXT,
    offline        BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoke_reason  TEXT
);
CREATE INDEX grants_person_idx ON grants (person_id, client_id);
CREATE INDEX grants_session_idx ON grants (session_id);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (grant_id);
