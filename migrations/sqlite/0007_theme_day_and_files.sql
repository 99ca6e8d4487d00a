-- 主题党日 required items, set per county (or any org; the nearest ancestor's list applies),
-- the items a meeting ticked, and meeting photos and files.

CREATE TABLE theme_day_checklists (
    org_id          INTEGER PRIMARY KEY REFERENCES orgs(id),
    name            TEXT NOT NULL,
    required_items  TEXT NOT NULL,
    optional_items  TEXT NOT NULL,
    min_optional    INTEGER NOT NULL,
    by_user_id      INTEGER,
    updated_at      INTEGER NOT NULL
);

ALTER TABLE meetings ADD COLUMN items_done TEXT NOT NULL DEFAULT '';

CREATE TABLE meeting_files (
    id            INTEGER PRIMARY KEY,
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    by_user_id    INTEGER,
    at            INTEGER NOT NULL
);
CREATE INDEX meeting_files_meeting ON meeting_files(meeting_id, id);
