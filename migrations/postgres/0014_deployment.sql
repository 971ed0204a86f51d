-- What a database was made for: 'production' or 'sandbox', written on first start. A sandbox never runs on
-- production data, nor production on a sandbox's synthetic people and clients.
CREATE TABLE deployment (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
