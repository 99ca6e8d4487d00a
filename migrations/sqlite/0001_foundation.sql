-- Organizations, members, users and roles, audit log (SQLite).
-- Dates are ISO TEXT, instants integer Unix seconds, flags 0/1.

CREATE TABLE orgs (
    id            INTEGER PRIMARY KEY,
    parent_id     INTEGER REFERENCES orgs(id),
    path          TEXT NOT NULL UNIQUE,
    depth         INTEGER NOT NULL,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    variant       TEXT NOT NULL DEFAULT 'regular',
    domain        TEXT NOT NULL,
    joint_units   INTEGER NOT NULL DEFAULT 0,
    term_start    TEXT,
    founded_on    TEXT,
    dissolved_on  TEXT,
    dissolve_reason TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id, name);

-- Subtree counters, kept right in the same transaction as every write.
CREATE TABLE org_stats (
    org_id  INTEGER NOT NULL,
    dim     TEXT NOT NULL,
    key     TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (org_id, dim, key)
) WITHOUT ROWID;

-- Pairings between orgs: 包联, 共驻共建, 结对帮扶.
CREATE TABLE org_pairings (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    partner_id  INTEGER NOT NULL REFERENCES orgs(id),
    note        TEXT NOT NULL DEFAULT '',
    since       TEXT NOT NULL,
    ended_on    TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX org_pairings_org ON org_pairings(org_id);
CREATE INDEX org_pairings_partner ON org_pairings(partner_id);

CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    org_path        TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_initials   TEXT NOT NULL,
    id_number       TEXT NOT NULL UNIQUE,
    gender          TEXT NOT NULL,
    birth_date      TEXT NOT NULL,
    ethnicity       TEXT NOT NULL,
    education       TEXT NOT NULL,
    phone           TEXT,
    joined_on       TEXT NOT NULL,
    full_on         TEXT,
    status          TEXT NOT NULL,
    posts           TEXT NOT NULL DEFAULT '',
    vanguard_post   TEXT,
    responsibility_area TEXT,
    in_service      INTEGER NOT NULL DEFAULT 0,
    report_org_id   INTEGER REFERENCES orgs(id),
    work_unit       TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX members_path ON members(org_path, id);
CREATE INDEX members_org ON members(org_id, name);
CREATE INDEX members_name ON members(name, org_path);
CREATE INDEX members_initials ON members(name_initials, org_path);
CREATE INDEX members_phone ON members(phone);

CREATE TABLE member_transfers (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    from_org_id   INTEGER NOT NULL REFERENCES orgs(id),
    to_org_id     INTEGER NOT NULL REFERENCES orgs(id),
    transferred_on TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    by_user_id    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX member_transfers_member ON member_transfers(member_id, id);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    member_id       INTEGER REFERENCES members(id),
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

CREATE TABLE user_roles (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (user_id, role, org_id)
);

-- Browser sessions and API tokens; only a SHA-256 of the token is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_throttle (
    username        TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    user_id     INTEGER,
    username    TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   INTEGER,
    org_id      INTEGER,
    org_path    TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_path ON audit_log(org_path, id);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
