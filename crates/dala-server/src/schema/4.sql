-- Version 4: when a device last called the server (any request: forms fetched, records
-- sent), for the manager's list of devices. Written at most once a minute per device.
ALTER TABLE devices ADD COLUMN last_seen TEXT;
CREATE INDEX submissions_by_sender ON submissions (project_id, sent_by);
