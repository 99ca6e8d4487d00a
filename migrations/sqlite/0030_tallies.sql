-- Per-period tallies kept with the writes (src/tallies): what each org's own records count
-- (`tally_own`, one text per org and source), the sums over each org's subtree (`tallies`), and the orgs whose records
-- changed since the last settle (`tally_dirty`, append-only, emptied by the settle).
-- `tally_sweeps` remembers when each time-dependent source was last recounted everywhere.

CREATE TABLE tally_own (
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    source  TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (org_id, source)
);

CREATE TABLE tallies (
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    metric  TEXT NOT NULL,
    period  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (org_id, metric, period)
);
-- Ranking orgs by a per-org metric (the misses of each branch in a year).
CREATE INDEX tallies_rank ON tallies (metric, period, n);

CREATE TABLE tally_dirty (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id  INTEGER NOT NULL,
    source  TEXT NOT NULL
);

CREATE TABLE tally_sweeps (
    source  TEXT PRIMARY KEY,
    stamp   TEXT NOT NULL
);
