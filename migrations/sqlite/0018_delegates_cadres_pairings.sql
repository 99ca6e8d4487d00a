-- Delegates (党代表), village cadres (一人一档, 后备干部, 村委会主任, 第一书记, 年度考核) and
-- pairings (包联, 共驻共建, 结对帮扶), DOMAIN.md §3. Records are ended, never deleted. Partial
-- unique indexes keep one open record where one is allowed, even under parallel writes.

CREATE TABLE delegates (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id),
    congress            TEXT NOT NULL,
    term_start          TEXT NOT NULL,
    unit                TEXT NOT NULL DEFAULT '',
    terminated_on       TEXT,
    termination_kind    TEXT,
    termination_reason  TEXT,
    created_by          INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX delegates_open ON delegates(member_id, congress) WHERE terminated_on IS NULL;

CREATE TABLE delegate_reviews (
    id           INTEGER PRIMARY KEY,
    delegate_id  INTEGER NOT NULL REFERENCES delegates(id),
    period       TEXT NOT NULL,
    reviewed_on  TEXT NOT NULL,
    findings     TEXT NOT NULL,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (delegate_id, period)
);

CREATE TABLE cadre_docs (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    by_user_id    INTEGER,
    at            INTEGER NOT NULL
);
CREATE INDEX cadre_docs_member ON cadre_docs(member_id, kind);

CREATE TABLE cadre_reserves (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT NOT NULL,
    id_number       TEXT NOT NULL,
    member_id       INTEGER REFERENCES members(id),
    education       TEXT NOT NULL DEFAULT '',
    present_post    TEXT NOT NULL DEFAULT '',
    for_secretary   INTEGER NOT NULL DEFAULT 0,
    added_on        TEXT NOT NULL,
    removed_on      TEXT,
    removed_reason  TEXT,
    created_by      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX cadre_reserves_open ON cadre_reserves(org_id, id_number) WHERE removed_on IS NULL;

CREATE TABLE village_directors (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    member_id   INTEGER REFERENCES members(id),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX village_directors_open ON village_directors(org_id) WHERE ends_on IS NULL;

CREATE TABLE first_secretaries (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES orgs(id),
    name               TEXT NOT NULL,
    unit               TEXT NOT NULL,
    phone              TEXT NOT NULL DEFAULT '',
    started_on         TEXT NOT NULL,
    subsidy_fen_month  INTEGER NOT NULL DEFAULT 0,
    ended_on           TEXT,
    end_reason         TEXT,
    created_by         INTEGER,
    created_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX first_secretaries_open ON first_secretaries(org_id) WHERE ended_on IS NULL;

CREATE TABLE cadre_assessments (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    year        INTEGER NOT NULL,
    grade       TEXT NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (member_id, year)
);

CREATE TABLE pairings (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    helper_id   INTEGER NOT NULL REFERENCES orgs(id),
    helped_id   INTEGER NOT NULL REFERENCES orgs(id),
    leader      TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    starts_on   TEXT NOT NULL,
    ends_on     TEXT,
    end_reason  TEXT,
    note        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX pairings_open ON pairings(kind, helper_id, helped_id) WHERE ends_on IS NULL;
CREATE INDEX pairings_helped ON pairings(helped_id);

CREATE TABLE pairing_activities (
    id          INTEGER PRIMARY KEY,
    pairing_id  INTEGER NOT NULL REFERENCES pairings(id),
    held_on     TEXT NOT NULL,
    summary     TEXT NOT NULL,
    people      INTEGER NOT NULL DEFAULT 0,
    by_user_id  INTEGER,
    at          INTEGER NOT NULL
);
CREATE INDEX pairing_activities_pairing ON pairing_activities(pairing_id, held_on);

-- One open seat per member and post: two parallel appointments cannot both succeed.
CREATE UNIQUE INDEX org_team_open ON org_team(org_id, member_id, post) WHERE ends_on IS NULL;
