-- Training (学习培训): classes run by an org, their sessions, enrolled trainees and
-- attendance per session (一课一查岗). Bulletins and reports are derived, never stored.

CREATE TABLE training_classes (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX training_classes_org ON training_classes(org_id, starts_on);
CREATE INDEX training_classes_starts ON training_classes(starts_on, org_id);

CREATE TABLE training_sessions (
    id            INTEGER PRIMARY KEY,
    class_id      INTEGER NOT NULL REFERENCES training_classes(id),
    day           TEXT NOT NULL,
    start_minute  INTEGER NOT NULL,
    minutes       INTEGER NOT NULL,
    category      TEXT NOT NULL,
    title         TEXT NOT NULL,
    teacher       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX training_sessions_class ON training_sessions(class_id, day, start_minute);

CREATE TABLE training_enrollments (
    class_id      INTEGER NOT NULL REFERENCES training_classes(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    enrolled_on   TEXT NOT NULL,
    withdrawn_on  TEXT,
    PRIMARY KEY (class_id, member_id)
);
CREATE INDEX training_enrollments_member ON training_enrollments(member_id);

CREATE TABLE training_marks (
    session_id      INTEGER NOT NULL REFERENCES training_sessions(id),
    member_id       INTEGER NOT NULL REFERENCES members(id),
    mark            TEXT NOT NULL,
    missed_minutes  INTEGER NOT NULL DEFAULT 0,
    reason          TEXT NOT NULL DEFAULT '',
    by_user_id      INTEGER,
    at              INTEGER NOT NULL,
    PRIMARY KEY (session_id, member_id)
);
