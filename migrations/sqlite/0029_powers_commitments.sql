-- 小微权力清单: a county's catalog of village powers (nearest ancestor's applies), each use of a
-- power by a village with its procedure as it stood when the use began, and its steps (in order;
-- `seq` keeps two recorders from both taking the next step).
-- 承诺践诺: commitments an org makes to the level above for a year, reported done (践诺) and
-- checked by that level (核验); a state change is a conditional update on the row.

CREATE TABLE power_catalogs (
    org_id      INTEGER PRIMARY KEY REFERENCES orgs(id),
    body        TEXT NOT NULL,
    by_user_id  INTEGER,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE power_uses (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    org_path     TEXT NOT NULL,
    item_code    TEXT NOT NULL,
    item_name    TEXT NOT NULL,
    category     TEXT NOT NULL,
    steps        TEXT NOT NULL,
    four_two     INTEGER NOT NULL,
    matter_id    INTEGER REFERENCES village_matters(id),
    subject      TEXT NOT NULL,
    steps_done   INTEGER NOT NULL DEFAULT 0,
    last_on      TEXT,
    done         INTEGER NOT NULL DEFAULT 0,
    by_name      TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX power_uses_path ON power_uses(org_path, created_at);

CREATE TABLE power_use_steps (
    id          INTEGER PRIMARY KEY,
    use_id      INTEGER NOT NULL REFERENCES power_uses(id),
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    on_day      TEXT NOT NULL,
    note        TEXT NOT NULL,
    by_user_id  INTEGER,
    by_name     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (use_id, seq)
);

CREATE TABLE commitments (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    org_path     TEXT NOT NULL,
    year         INTEGER NOT NULL,
    title        TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    made_on      TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open',
    done_on      TEXT,
    done_note    TEXT NOT NULL DEFAULT '',
    checked_by   TEXT NOT NULL DEFAULT '',
    checked_on   TEXT,
    check_note   TEXT NOT NULL DEFAULT '',
    by_name      TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX commitments_path ON commitments(org_path, year);
