-- 好差评: service windows with the public code of their QR card, the ratings given at them (a
-- 差评 carries its follow-up due date until the resident's answer closes it), and the follow-ups,
-- which are append-only.

CREATE TABLE service_windows (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    org_path    TEXT NOT NULL,
    name        TEXT NOT NULL,
    department  TEXT NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    closed_on   TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX service_windows_path ON service_windows(org_path);

CREATE TABLE service_ratings (
    id          INTEGER PRIMARY KEY,
    window_id   INTEGER NOT NULL REFERENCES service_windows(id),
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    org_path    TEXT NOT NULL,
    grade       TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    channel     TEXT NOT NULL,
    rated_on    TEXT NOT NULL,
    due_on      TEXT,
    state       TEXT NOT NULL,
    closed_on   TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX service_ratings_path ON service_ratings(org_path, rated_on);
CREATE INDEX service_ratings_window ON service_ratings(window_id, rated_on);

CREATE TABLE rating_followups (
    id          INTEGER PRIMARY KEY,
    rating_id   INTEGER NOT NULL REFERENCES service_ratings(id),
    on_day      TEXT NOT NULL,
    by_user_id  INTEGER,
    by_name     TEXT NOT NULL,
    what        TEXT NOT NULL,
    answer      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX rating_followups_rating ON rating_followups(rating_id);

CREATE TRIGGER rating_followups_no_update BEFORE UPDATE ON rating_followups
BEGIN SELECT RAISE(ABORT, 'rating_followups is append-only'); END;
CREATE TRIGGER rating_followups_no_delete BEFORE DELETE ON rating_followups
BEGIN SELECT RAISE(ABORT, 'rating_followups is append-only'); END;
