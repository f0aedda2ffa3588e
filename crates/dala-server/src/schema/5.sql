-- Version 5: the files instrument versions attach (a CSV of villages, a label's picture),
-- each kept once per project by its SHA-256: versions attaching the same file share it. A
-- version's document says which files it needs, this table which the server holds.
CREATE TABLE form_files (
    project_id BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {bytes} NOT NULL,
    received TEXT NOT NULL,
    PRIMARY KEY (project_id, sha256)
);
