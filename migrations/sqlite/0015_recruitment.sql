-- Recruitment (发展党员, DOMAIN.md §3): one file per person on the way from 入党申请人 to
-- 正式党员, its dated steps (each with the branch meeting that decided it, where one is
-- needed), the people named on it (培养联系人, 入党介绍人) and the half-yearly reviews.
-- `stage` is kept with the file for the pipeline; the counters per stage live in org_stats.
-- Members who leave the roll (取消预备党员资格, later 出党 and 自行脱党) keep their record with
-- the day and reason they left.

ALTER TABLE members ADD COLUMN left_on TEXT;
ALTER TABLE members ADD COLUMN left_reason TEXT;

CREATE TABLE recruits (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    org_path            TEXT NOT NULL,
    name                TEXT NOT NULL,
    id_number           TEXT NOT NULL,
    gender              TEXT NOT NULL,
    birth_date          TEXT NOT NULL,
    phone               TEXT,
    education           TEXT NOT NULL,
    ethnicity           TEXT NOT NULL,
    stage               TEXT NOT NULL,
    applied_on          TEXT NOT NULL,
    political_review    TEXT,
    training_class_id   INTEGER REFERENCES training_classes(id),
    training_days       INTEGER,
    training_hours      INTEGER,
    ext_months          INTEGER,
    ext_on              TEXT,
    ext_meeting_id      INTEGER REFERENCES meetings(id),
    closed_on           TEXT,
    closed_reason       TEXT,
    closed_meeting_id   INTEGER REFERENCES meetings(id),
    member_id           INTEGER REFERENCES members(id),
    created_by          INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX recruits_path ON recruits(org_path, stage);
CREATE INDEX recruits_id_number ON recruits(id_number);

CREATE TABLE recruit_steps (
    id              INTEGER PRIMARY KEY,
    recruit_id      INTEGER NOT NULL REFERENCES recruits(id),
    step            TEXT NOT NULL,
    on_date         TEXT NOT NULL,
    body            TEXT NOT NULL,
    meeting_id      INTEGER REFERENCES meetings(id),
    note            TEXT NOT NULL DEFAULT '',
    by_user_id      INTEGER,
    at              INTEGER NOT NULL,
    UNIQUE (recruit_id, step)
);
CREATE INDEX recruit_steps_on ON recruit_steps(step, on_date);

CREATE TABLE recruit_people (
    id              INTEGER PRIMARY KEY,
    recruit_id      INTEGER NOT NULL REFERENCES recruits(id),
    role            TEXT NOT NULL,
    member_id       INTEGER NOT NULL REFERENCES members(id),
    full_member     INTEGER NOT NULL,
    since           TEXT NOT NULL
);
CREATE INDEX recruit_people_recruit ON recruit_people(recruit_id);

CREATE TABLE recruit_reviews (
    id              INTEGER PRIMARY KEY,
    recruit_id      INTEGER NOT NULL REFERENCES recruits(id),
    on_date         TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    by_user_id      INTEGER,
    at              INTEGER NOT NULL,
    UNIQUE (recruit_id, on_date)
);
