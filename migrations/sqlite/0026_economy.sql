-- Village collective economy: income entries per village and year (append-only; a reversal is a
-- new negative entry naming the one it corrects, once), and the cooperatives villages lead with
-- their demonstration title.

CREATE TABLE econ_incomes (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    org_path     TEXT NOT NULL,
    year         INTEGER NOT NULL,
    source       TEXT NOT NULL,
    amount_fen   INTEGER NOT NULL CHECK (amount_fen BETWEEN -10000000000 AND 10000000000),
    note         TEXT NOT NULL,
    corrects_id  INTEGER REFERENCES econ_incomes(id),
    by_user_id   INTEGER,
    by_name      TEXT NOT NULL,
    on_day       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX econ_incomes_path ON econ_incomes(org_path, year);
CREATE INDEX econ_incomes_org ON econ_incomes(org_id, year);
CREATE UNIQUE INDEX econ_incomes_corrects ON econ_incomes(corrects_id) WHERE corrects_id IS NOT NULL;

CREATE TABLE cooperatives (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    org_path        TEXT NOT NULL,
    name            TEXT NOT NULL,
    business        TEXT NOT NULL DEFAULT '',
    households      INTEGER NOT NULL DEFAULT 0,
    level           TEXT NOT NULL DEFAULT 'none',
    level_year      INTEGER,
    level_document  TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX cooperatives_path ON cooperatives(org_path);

-- A move of the village rewrites org_path; nothing else of an entry changes.
CREATE TRIGGER econ_incomes_no_update BEFORE UPDATE OF org_id, year, source, amount_fen, note, corrects_id, by_user_id, by_name, on_day, created_at ON econ_incomes
BEGIN SELECT RAISE(ABORT, 'econ_incomes is append-only'); END;
CREATE TRIGGER econ_incomes_no_delete BEFORE DELETE ON econ_incomes
BEGIN SELECT RAISE(ABORT, 'econ_incomes is append-only'); END;
