-- Members' points (党员积分): an append-only projection of attendance, training and dues (and
-- the branch's own entries with evidence). `seq` numbers the entries of one key, so two syncs
-- racing on a member cannot append the same correction twice. A county's catalog is a row.

CREATE TABLE member_points (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    year         INTEGER NOT NULL,
    rule         TEXT NOT NULL,
    category     TEXT NOT NULL,
    source_kind  TEXT NOT NULL,
    source_id    INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    points       INTEGER NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    on_day       TEXT NOT NULL,
    by_user_id   INTEGER,
    at           INTEGER NOT NULL,
    UNIQUE (member_id, source_kind, source_id, rule, seq)
);
CREATE INDEX member_points_year ON member_points(member_id, year);

-- The projection reads a branch's training marks and claimed requests by member.
CREATE INDEX training_marks_member ON training_marks(member_id);
CREATE INDEX requests_claimant ON requests(claimant_id, claimant_kind);

CREATE TABLE point_catalogs (
    org_id      INTEGER PRIMARY KEY REFERENCES orgs(id),
    body        TEXT NOT NULL,
    by_user_id  INTEGER,
    updated_at  INTEGER NOT NULL
);

CREATE TRIGGER member_points_no_update BEFORE UPDATE ON member_points
BEGIN SELECT RAISE(ABORT, 'member_points is append-only'); END;
CREATE TRIGGER member_points_no_delete BEFORE DELETE ON member_points
BEGIN SELECT RAISE(ABORT, 'member_points is append-only'); END;
