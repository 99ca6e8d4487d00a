-- Mobile members (流动党员, DOMAIN.md §2): the 外出报备 record of a member away and its
-- quarterly “七个清楚” entries. `open_member_id` is the member's id while away and NULL once
-- back: its unique index keeps one open record per member, even under parallel 报备.

CREATE TABLE mobile_members (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id),
    open_member_id      INTEGER REFERENCES members(id),
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    org_path            TEXT NOT NULL,
    left_on             TEXT NOT NULL,
    place               TEXT NOT NULL,
    address             TEXT NOT NULL DEFAULT '',
    contact             TEXT NOT NULL DEFAULT '',
    job                 TEXT NOT NULL DEFAULT '',
    place_fixed         INTEGER NOT NULL DEFAULT 0,
    certificate_no      TEXT,
    certificate_on      TEXT,
    letter_issued_on    TEXT,
    letter_valid_until  TEXT,
    letter_returned     INTEGER NOT NULL DEFAULT 0,
    temp_org_id         INTEGER REFERENCES orgs(id),
    returned_on         TEXT,
    created_by          INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX mobile_members_open ON mobile_members(open_member_id);
CREATE INDEX mobile_members_path ON mobile_members(org_path, returned_on);
CREATE INDEX mobile_members_member ON mobile_members(member_id);

CREATE TABLE mobile_ledger (
    id              INTEGER PRIMARY KEY,
    mobile_id       INTEGER NOT NULL REFERENCES mobile_members(id),
    period          TEXT NOT NULL,
    on_date         TEXT NOT NULL,
    life            TEXT NOT NULL,
    thinking        TEXT NOT NULL,
    role            TEXT NOT NULL,
    by_user_id      INTEGER,
    at              INTEGER NOT NULL,
    UNIQUE (mobile_id, period)
);
