-- Version 3: each record's last change in the change sequence. A record takes the next
-- number when it arrives (its seq, which never moves) and again when it is reviewed or
-- deleted, so "what changed since N" finds every change once, in order.
ALTER TABLE submissions ADD COLUMN changed BIGINT;
UPDATE submissions SET changed = seq;
CREATE INDEX submissions_by_change ON submissions (project_id, changed);
CREATE INDEX submissions_by_form ON submissions (project_id, form_id, seq);
