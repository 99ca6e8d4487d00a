-- 软弱涣散党组织整顿: a case per identified organization (one open at a time), its helping
-- forces, its list of people's problems (counts kept on the case, so a board reads no problem)
-- and its history, which is append-only.

CREATE TABLE weak_cases (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    org_path       TEXT NOT NULL,
    year           INTEGER NOT NULL,
    identified_on  TEXT NOT NULL,
    reasons        TEXT NOT NULL,
    reason_note    TEXT NOT NULL DEFAULT '',
    plan           TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL DEFAULT 'rectifying',
    measures_done  TEXT NOT NULL DEFAULT '',
    n_problems     INTEGER NOT NULL DEFAULT 0,
    n_resolved     INTEGER NOT NULL DEFAULT 0,
    n_planned      INTEGER NOT NULL DEFAULT 0,
    n_tracked      INTEGER NOT NULL DEFAULT 0,
    closed_on      TEXT,
    closed_note    TEXT,
    created_by     INTEGER,
    created_at     INTEGER NOT NULL,
    CHECK (n_resolved >= 0 AND n_planned >= 0 AND n_tracked >= 0 AND n_resolved + n_planned + n_tracked <= n_problems)
);
CREATE UNIQUE INDEX weak_cases_open ON weak_cases(org_id) WHERE state = 'rectifying';
CREATE INDEX weak_cases_path ON weak_cases(org_path, identified_on);

CREATE TABLE weak_forces (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES weak_cases(id),
    force        TEXT NOT NULL,
    name         TEXT NOT NULL,
    unit         TEXT NOT NULL DEFAULT '',
    assigned_on  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX weak_forces_case ON weak_forces(case_id);

CREATE TABLE weak_problems (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES weak_cases(id),
    text        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT 'open',
    state_note  TEXT NOT NULL DEFAULT '',
    updated_on  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX weak_problems_case ON weak_problems(case_id);

CREATE TABLE weak_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES weak_cases(id),
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    by_user_id  INTEGER,
    by_name     TEXT NOT NULL,
    on_day      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX weak_events_case ON weak_events(case_id, id);

CREATE TRIGGER weak_events_no_update BEFORE UPDATE ON weak_events
BEGIN SELECT RAISE(ABORT, 'weak_events is append-only'); END;
CREATE TRIGGER weak_events_no_delete BEFORE DELETE ON weak_events
BEGIN SELECT RAISE(ABORT, 'weak_events is append-only'); END;
