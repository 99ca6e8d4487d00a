-- Grid governance (DOMAIN.md §8–10): grids, buildings and households with their residents
-- and special groups; in-service members on buildings; residents' requests with their
-- public event trail; disputes with their mediation trail. Every row names the org (the
-- village or community) whose subtree it belongs to, and its path for scoped reads.

CREATE TABLE grids (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    org_path        TEXT NOT NULL,
    parent_grid_id  INTEGER REFERENCES grids(id),
    kind            TEXT NOT NULL,
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    worker_user_id  INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX grids_path ON grids(org_path);
CREATE INDEX grids_parent ON grids(parent_grid_id);

CREATE TABLE buildings (
    id              INTEGER PRIMARY KEY,
    grid_id         INTEGER NOT NULL REFERENCES grids(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    org_path        TEXT NOT NULL,
    name            TEXT NOT NULL,
    group_org_id    INTEGER REFERENCES orgs(id),
    created_at      INTEGER NOT NULL,
    UNIQUE (grid_id, name)
);
CREATE INDEX buildings_path ON buildings(org_path);

-- 包楼联户 with 双报到: an in-service member on a building, reporting to a community.
CREATE TABLE building_assignments (
    id              INTEGER PRIMARY KEY,
    building_id     INTEGER NOT NULL REFERENCES buildings(id),
    member_id       INTEGER NOT NULL REFERENCES members(id),
    report_org_id   INTEGER NOT NULL REFERENCES orgs(id),
    reported_on     TEXT NOT NULL,
    ended_on        TEXT,
    by_user_id      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX building_assignments_building ON building_assignments(building_id);
CREATE INDEX building_assignments_member ON building_assignments(member_id);

CREATE TABLE households (
    id                  INTEGER PRIMARY KEY,
    grid_id             INTEGER NOT NULL REFERENCES grids(id),
    building_id         INTEGER REFERENCES buildings(id),
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    org_path            TEXT NOT NULL,
    address             TEXT NOT NULL,
    head_name           TEXT NOT NULL,
    phone               TEXT,
    central_member_id   INTEGER REFERENCES members(id),
    created_at          INTEGER NOT NULL,
    UNIQUE (org_id, address)
);
CREATE INDEX households_grid ON households(grid_id);
CREATE INDEX households_path ON households(org_path, id);

CREATE TABLE residents (
    id              INTEGER PRIMARY KEY,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    name            TEXT NOT NULL,
    id_number       TEXT,
    gender          TEXT NOT NULL,
    birth_date      TEXT,
    relation        TEXT NOT NULL DEFAULT '',
    phone           TEXT
);
CREATE INDEX residents_household ON residents(household_id);

-- Special groups (高龄、特困、留守/流动儿童、新就业群体) and their dynamic records.
CREATE TABLE special_groups (
    id              INTEGER PRIMARY KEY,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    resident_id     INTEGER REFERENCES residents(id),
    kind            TEXT NOT NULL,
    since           TEXT NOT NULL,
    until           TEXT,
    note            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX special_groups_household ON special_groups(household_id);
CREATE INDEX special_groups_kind ON special_groups(kind, household_id);

CREATE TABLE special_records (
    id              INTEGER PRIMARY KEY,
    special_id      INTEGER NOT NULL REFERENCES special_groups(id),
    kind            TEXT NOT NULL,
    on_day          TEXT NOT NULL,
    amount_fen      INTEGER,
    note            TEXT NOT NULL DEFAULT '',
    by_user_id      INTEGER,
    at              INTEGER NOT NULL
);
CREATE INDEX special_records_special ON special_records(special_id, on_day);

-- 先锋队: vanguard teams that claim requests.
CREATE TABLE vanguard_teams (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE requests (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    org_path            TEXT NOT NULL,
    owner_org_id        INTEGER NOT NULL REFERENCES orgs(id),
    grid_id             INTEGER REFERENCES grids(id),
    household_id        INTEGER REFERENCES households(id),
    kind                TEXT NOT NULL,
    source              TEXT NOT NULL,
    category            TEXT NOT NULL,
    text                TEXT NOT NULL,
    public_text         TEXT NOT NULL DEFAULT '',
    contact_name        TEXT NOT NULL DEFAULT '',
    contact_phone       TEXT,
    state               TEXT NOT NULL,
    is_open             INTEGER NOT NULL,
    expected_days       INTEGER NOT NULL,
    handbacks           INTEGER NOT NULL DEFAULT 0,
    unsatisfied         INTEGER NOT NULL DEFAULT 0,
    claimant_kind       TEXT,
    claimant_id         INTEGER,
    claimant_name       TEXT,
    dispatched_on       TEXT,
    deadline_on         TEXT,
    fulfilled_on        TEXT,
    closed_on           TEXT,
    rating              TEXT,
    duplicate_of        INTEGER REFERENCES requests(id),
    tracking_digest     TEXT NOT NULL UNIQUE,
    nonce               TEXT UNIQUE,
    created_on          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX requests_open ON requests(is_open, org_path, deadline_on);
CREATE INDEX requests_created ON requests(org_path, created_on);

-- Append-only: every transition, dated, by whom, with its public note.
CREATE TABLE request_events (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER NOT NULL REFERENCES requests(id),
    action          TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    note            TEXT NOT NULL,
    by_user_id      INTEGER,
    by_label        TEXT NOT NULL,
    on_day          TEXT NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX request_events_request ON request_events(request_id, id);

CREATE TABLE request_files (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER NOT NULL REFERENCES requests(id),
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    data            BLOB NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX request_files_request ON request_files(request_id);

CREATE TABLE disputes (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    org_path        TEXT NOT NULL,
    grid_id         INTEGER REFERENCES grids(id),
    category        TEXT NOT NULL,
    risk            TEXT NOT NULL,
    level           TEXT NOT NULL,
    level_since     TEXT NOT NULL,
    state           TEXT NOT NULL,
    is_open         INTEGER NOT NULL,
    summary         TEXT NOT NULL,
    referral        TEXT,
    opened_on       TEXT NOT NULL,
    closed_on       TEXT,
    deadline_on     TEXT NOT NULL,
    created_by      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX disputes_open ON disputes(is_open, org_path, deadline_on);
CREATE INDEX disputes_opened ON disputes(org_path, opened_on);

CREATE TABLE dispute_parties (
    id              INTEGER PRIMARY KEY,
    dispute_id      INTEGER NOT NULL REFERENCES disputes(id),
    name            TEXT NOT NULL,
    phone           TEXT,
    role            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dispute_parties_dispute ON dispute_parties(dispute_id);

CREATE TABLE dispute_team (
    dispute_id      INTEGER NOT NULL REFERENCES disputes(id),
    role            TEXT NOT NULL,
    name            TEXT NOT NULL,
    PRIMARY KEY (dispute_id, role)
);

-- Append-only: mediation records, escalations and the outcome.
CREATE TABLE dispute_events (
    id              INTEGER PRIMARY KEY,
    dispute_id      INTEGER NOT NULL REFERENCES disputes(id),
    action          TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    from_level      TEXT,
    to_level        TEXT,
    reason          TEXT,
    note            TEXT NOT NULL,
    by_user_id      INTEGER,
    on_day          TEXT NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX dispute_events_dispute ON dispute_events(dispute_id, id);
CREATE INDEX dispute_events_day ON dispute_events(on_day);

CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;
CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events
BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;
CREATE TRIGGER dispute_events_no_update BEFORE UPDATE ON dispute_events
BEGIN SELECT RAISE(ABORT, 'dispute_events is append-only'); END;
CREATE TRIGGER dispute_events_no_delete BEFORE DELETE ON dispute_events
BEGIN SELECT RAISE(ABORT, 'dispute_events is append-only'); END;
CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests
BEGIN SELECT RAISE(ABORT, 'requests are never deleted; close them with a reason'); END;
