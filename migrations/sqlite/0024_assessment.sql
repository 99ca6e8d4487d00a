-- Star ratings (星级评定). A county's rubric (nearest ancestor's wins), the assessors' entries for
-- the items not measured from records (the latest entry of an item counts; nothing is rewritten),
-- the rating events of a branch's year (rating, appeal, review; `seq` keeps two raters from both
-- writing the next event) and the titles conferred or withdrawn.

CREATE TABLE assessment_rubrics (
    org_id      INTEGER PRIMARY KEY REFERENCES orgs(id),
    body        TEXT NOT NULL,
    by_user_id  INTEGER,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE assessment_entries (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    year        INTEGER NOT NULL,
    item        TEXT NOT NULL,
    tenths      INTEGER NOT NULL,
    note        TEXT NOT NULL,
    file_name   TEXT,
    file_mime   TEXT,
    file_data   BLOB,
    by_user_id  INTEGER,
    by_name     TEXT NOT NULL,
    on_day      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX assessment_entries_org ON assessment_entries(org_id, year, id);

CREATE TABLE assessment_events (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    year           INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    score_tenths   INTEGER,
    stars          INTEGER,
    previous_stars INTEGER,
    note           TEXT NOT NULL,
    by_user_id     INTEGER,
    by_name        TEXT NOT NULL,
    on_day         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (org_id, year, seq)
);

CREATE TABLE assessment_titles (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    title       TEXT NOT NULL,
    year        INTEGER NOT NULL,
    action      TEXT NOT NULL,
    document    TEXT NOT NULL,
    by_user_id  INTEGER,
    by_name     TEXT NOT NULL,
    on_day      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, title, year, action)
);

CREATE TRIGGER assessment_entries_no_update BEFORE UPDATE ON assessment_entries
BEGIN SELECT RAISE(ABORT, 'assessment_entries is append-only'); END;
CREATE TRIGGER assessment_entries_no_delete BEFORE DELETE ON assessment_entries
BEGIN SELECT RAISE(ABORT, 'assessment_entries is append-only'); END;
CREATE TRIGGER assessment_events_no_update BEFORE UPDATE ON assessment_events
BEGIN SELECT RAISE(ABORT, 'assessment_events is append-only'); END;
CREATE TRIGGER assessment_events_no_delete BEFORE DELETE ON assessment_events
BEGIN SELECT RAISE(ABORT, 'assessment_events is append-only'); END;
CREATE TRIGGER assessment_titles_no_update BEFORE UPDATE ON assessment_titles
BEGIN SELECT RAISE(ABORT, 'assessment_titles is append-only'); END;
CREATE TRIGGER assessment_titles_no_delete BEFORE DELETE ON assessment_titles
BEGIN SELECT RAISE(ABORT, 'assessment_titles is append-only'); END;
