-- Security hardening: a credential reset at the counter takes effect only when a second staff member
-- (of the same hall or a hall above it) confirms it; until then it waits here. The new phone number, if
-- any, is encrypted like every phone number.

CREATE TABLE credential_resets (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people (id),
    new_phone_enc   BLOB,
    hall_id         TEXT NOT NULL REFERENCES halls (id),
    recorded_by     TEXT NOT NULL REFERENCES people (id),
    recorded_at     INTEGER NOT NULL,
    settled_by      TEXT,
    settled_at      INTEGER,
    confirmed       INTEGER
);
CREATE INDEX credential_resets_person_idx ON credential_resets (person_id, settled_at);

-- The most tokens a client may be issued per minute; NULL: the default (tokens.max_per_client_per_minute).
ALTER TABLE clients ADD COLUMN max_tokens_per_minute INTEGER;
