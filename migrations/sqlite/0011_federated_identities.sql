-- A person's identity at an upstream platform (the provincial one, say): signing in there signs them in
-- here. The upstream's identifier for the person is kept only as a keyed hash (blind index): it is enough
-- to find the link, and a copy of the table names nobody at the upstream.
CREATE TABLE federated_identities (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    upstream TEXT NOT NULL,
    subject_index TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    UNIQUE (upstream, subject_index),
    UNIQUE (person_id, upstream)
);
CREATE INDEX federated_identities_person ON federated_identities (person_id);
