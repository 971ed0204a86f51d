-- The department catalog: departments, their business systems (linked to OIDC clients), service items
-- with their themes; per-client connection status (first and last successful login), the distinct users
-- of the enterprise and citizen pages, and daily snapshots of the connection rate.

CREATE TABLE departments (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    level          TEXT NOT NULL,
    parent_id      TEXT REFERENCES departments (id),
    contact_name   TEXT,
    contact_phone  TEXT,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX departments_name_idx ON departments (name);
CREATE INDEX departments_parent_idx ON departments (parent_id);

CREATE TABLE business_systems (
    id             TEXT PRIMARY KEY,
    department_id  TEXT NOT NULL REFERENCES departments (id),
    name           TEXT NOT NULL,
    vertical       TEXT NOT NULL,
    portal         TEXT NOT NULL,
    contact_name   TEXT,
    contact_phone  TEXT,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX business_systems_name_idx ON business_systems (department_id, name);

ALTER TABLE clients ADD COLUMN system_id TEXT REFERENCES business_systems (id);
CREATE INDEX clients_system_idx ON clients (system_id);

CREATE TABLE service_items (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    audience       TEXT NOT NULL,
    department_id  TEXT NOT NULL REFERENCES departments (id),
    system_id      TEXT REFERENCES business_systems (id),
    status         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX service_items_department_idx ON service_items (department_id, status);
CREATE INDEX service_items_system_idx ON service_items (system_id);
-- Covers the connection report's first step (active items grouped by department, type, audience, system).
CREATE INDEX service_items_report_idx ON service_items (status, department_id, kind, audience, system_id);

-- An item's themes, with copies of the item's fields that the report filters and groups by: they are
-- written together with the item (the only writer replaces an item's themes whenever it writes the
-- item), so the breakdown by theme reads this table alone instead of joining it to every item.
CREATE TABLE service_item_themes (
    item_code      TEXT NOT NULL REFERENCES service_items (code),
    theme          TEXT NOT NULL,
    department_id  TEXT NOT NULL,
    kind           TEXT NOT NULL,
    audience       TEXT NOT NULL,
    system_id      TEXT,
    status         TEXT NOT NULL,
    PRIMARY KEY (item_code, theme)
);
CREATE INDEX service_item_themes_report_idx ON service_item_themes (status, theme, system_id);

CREATE TABLE client_connections (
    client_id       TEXT PRIMARY KEY REFERENCES clients (id),
    first_login_at  BIGINT NOT NULL,
    last_login_at   BIGINT NOT NULL
);

CREATE TABLE portal_users (
    portal      TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (portal, subject_id)
);
CREATE INDEX portal_users_seen_idx ON portal_users (portal, last_seen);

CREATE TABLE connection_snapshots (
    day            TEXT NOT NULL,
    scope          TEXT NOT NULL,
    active_items   BIGINT NOT NULL,
    registered     BIGINT NOT NULL,
    connected      BIGINT NOT NULL,
    recently_used  BIGINT NOT NULL,
    PRIMARY KEY (day, scope)
);
