-- Assurance and the counter: service halls, codes that carry a person to a counter (counter codes) and
-- from a counter back online (activation codes), organisation verifications awaiting a second staff
-- member, and a client's minimum assurance level.

ALTER TABLE clients ADD COLUMN min_acr TEXT;

CREATE TABLE halls (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   TEXT REFERENCES halls (id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX halls_parent_idx ON halls (parent_id);

CREATE TABLE counter_codes (
    code_hash   TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id),
    purpose     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX counter_codes_person_idx ON counter_codes (person_id);

CREATE TABLE org_verifications (
    id              TEXT PRIMARY KEY,
    uscc            TEXT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    representative  TEXT NOT NULL REFERENCES people (id),
    hall_id         TEXT NOT NULL REFERENCES halls (id),
    recorded_by     TEXT NOT NULL REFERENCES people (id),
    recorded_at     INTEGER NOT NULL,
    confirmed_by    TEXT,
    confirmed_at    INTEGER,
    rejected_at     INTEGER,
    org_id          TEXT
);
CREATE INDEX org_verifications_open_idx ON org_verifications (hall_id, confirmed_at, rejected_at);
