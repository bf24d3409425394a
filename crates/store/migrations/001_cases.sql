-- Version 1: cases and what happened in them. Portable SQL (TEXT ids and ISO-8601 times,
-- INTEGER flags, no AUTOINCREMENT), so the same schema can run on PostgreSQL.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The ECID as a salted hash; the ECID itself only when the user opted in.
    device_key TEXT,
    ecid TEXT,
    product_type TEXT,
    model TEXT,
    code BIGINT,
    port TEXT,
    fixed_by TEXT,
    verdict TEXT
);
CREATE INDEX cases_device ON cases (device_key);
CREATE INDEX cases_code ON cases (code);
CREATE INDEX cases_created ON cases (created_at);

CREATE TABLE evidence (
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    source TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE steps (
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    step TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE events (
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    port TEXT,
    phase TEXT,
    message TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
