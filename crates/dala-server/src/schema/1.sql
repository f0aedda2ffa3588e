-- The first schema, for both databases. Times are ISO 8601 text (UTC), booleans 0/1.
-- {serial} is each dialect's auto-numbered key (see db.rs).
CREATE TABLE server (id TEXT NOT NULL PRIMARY KEY, created TEXT NOT NULL);
CREATE TABLE changes (name TEXT NOT NULL PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE users (
    id {serial},
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    site_admin BIGINT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE projects (
    id {serial},
    name TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE roles (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE TABLE devices (
    id {serial},
    project_id BIGINT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);
CREATE TABLE tokens (
    hash TEXT NOT NULL PRIMARY KEY,
    user_id BIGINT REFERENCES users(id),
    device_id BIGINT REFERENCES devices(id),
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT
);
CREATE TABLE instruments (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    document TEXT NOT NULL,
    published TEXT NOT NULL,
    published_by BIGINT NOT NULL,
    PRIMARY KEY (project_id, form_id, version)
);
CREATE TABLE submissions (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    form_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    version TEXT NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    received TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    review_state TEXT NOT NULL,
    deleted TEXT,
    PRIMARY KEY (project_id, form_id, instance_id)
);
CREATE TABLE reviews (
    id {serial},
    project_id BIGINT NOT NULL,
    form_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    state TEXT NOT NULL,
    comment TEXT,
    by_user BIGINT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE audit (
    id {serial},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    project_id BIGINT,
    target TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX submissions_by_seq ON submissions (project_id, seq);
CREATE INDEX audit_by_project ON audit (project_id, id);
INSERT INTO changes (name, value) VALUES ('submissions', 0);
