-- Organizational life: meetings with attendance, and dues (SQLite).

CREATE TABLE meetings (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    kind            TEXT NOT NULL,
    topic           TEXT NOT NULL,
    place           TEXT NOT NULL DEFAULT '',
    planned_start   INTEGER NOT NULL,
    planned_end     INTEGER NOT NULL,
    held_on         TEXT,
    host_member_id  INTEGER REFERENCES members(id),
    recorder_member_id INTEGER REFERENCES members(id),
    agenda          TEXT NOT NULL DEFAULT '',
    minutes         TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    signin_token    TEXT NOT NULL UNIQUE,
    vote_entitled   INTEGER,
    vote_present    INTEGER,
    vote_result     TEXT,
    created_by      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    closed_at       INTEGER
);
CREATE INDEX meetings_org ON meetings(org_id, kind, held_on);
CREATE INDEX meetings_held ON meetings(held_on, org_id);

CREATE TABLE meeting_attendance (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    means       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    by_user_id  INTEGER,
    PRIMARY KEY (meeting_id, member_id)
);

-- A closed meeting is changed only by amendments, which keep the original.
CREATE TABLE meeting_amendments (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    field       TEXT NOT NULL,
    before_text TEXT NOT NULL,
    after_text  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    by_user_id  INTEGER,
    at          INTEGER NOT NULL
);
CREATE INDEX meeting_amendments_meeting ON meeting_amendments(meeting_id, id);

-- Dues basis history: a new wage applies from the month it is first paid.
CREATE TABLE dues_bases (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    from_month  TEXT NOT NULL,
    category    TEXT NOT NULL,
    base_fen    INTEGER,
    fixed_fen   INTEGER,
    by_user_id  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX dues_bases_member ON dues_bases(member_id, from_month);

CREATE TABLE dues_adjustments (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    kind        TEXT NOT NULL,
    amount_fen  INTEGER,
    reason      TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    from_month  TEXT NOT NULL,
    to_month    TEXT,
    by_user_id  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX dues_adjustments_member ON dues_adjustments(member_id);

-- Append-only: a correction is a new (possibly negative) entry.
CREATE TABLE dues_payments (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    month       TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL,
    method      TEXT NOT NULL,
    receipt_no  TEXT NOT NULL DEFAULT '',
    paid_on     TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    by_user_id  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX dues_payments_member ON dues_payments(member_id, month);
CREATE INDEX dues_payments_org ON dues_payments(org_id, month);

CREATE TRIGGER dues_payments_no_update BEFORE UPDATE ON dues_payments
BEGIN SELECT RAISE(ABORT, 'dues_payments is append-only'); END;
CREATE TRIGGER dues_payments_no_delete BEFORE DELETE ON dues_payments
BEGIN SELECT RAISE(ABORT, 'dues_payments is append-only'); END;
