-- Version 2: the files records carry (a photo, a recording), as a bundle of format 2 brings
-- them, each kept once by (project, instrument, instance id, name) with the description
-- its record gives.
CREATE TABLE submission_files (
    project_id BIGINT NOT NULL,
    form_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {bytes} NOT NULL,
    received TEXT NOT NULL,
    PRIMARY KEY (project_id, form_id, instance_id, name)
);
