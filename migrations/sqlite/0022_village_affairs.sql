-- 四议两公开: a village's matter and its steps, in order. `steps_done` is the matter's count of
-- steps for the conditional update that keeps two recorders from taking the same step; each
-- step is one row, never changed (a wrong step is corrected by the next matter, not by an edit).

CREATE TABLE village_matters (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    org_path     TEXT NOT NULL,
    title        TEXT NOT NULL,
    category     TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'open',
    steps_done   INTEGER NOT NULL DEFAULT 0,
    last_on      TEXT,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX village_matters_path ON village_matters(org_path, created_at);

CREATE TABLE village_matter_steps (
    id            INTEGER PRIMARY KEY,
    matter_id     INTEGER NOT NULL REFERENCES village_matters(id),
    seq           INTEGER NOT NULL,
    step          TEXT NOT NULL,
    on_day        TEXT NOT NULL,
    minutes       TEXT NOT NULL,
    entitled      INTEGER,
    present       INTEGER,
    yes           INTEGER,
    against       INTEGER,
    abstain       INTEGER,
    passed        INTEGER NOT NULL,
    posted_where  TEXT NOT NULL DEFAULT '',
    by_user_id    INTEGER,
    at            INTEGER NOT NULL,
    UNIQUE (matter_id, seq)
);

CREATE TRIGGER village_matter_steps_no_update BEFORE UPDATE ON village_matter_steps
BEGIN SELECT RAISE(ABORT, 'village_matter_steps is append-only'); END;
CREATE TRIGGER village_matter_steps_no_delete BEFORE DELETE ON village_matter_steps
BEGIN SELECT RAISE(ABORT, 'village_matter_steps is append-only'); END;
