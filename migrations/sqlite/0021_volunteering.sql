-- Volunteering (志愿服务): activities with slots and a door-QR token, sign-ups of members and of
-- residents (for their household's points), check times, confirmed minutes, and every change
-- of confirmed minutes kept as history. `signed` counts live sign-ups for the conditional
-- update that keeps them within `slots`.

CREATE TABLE vol_activities (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    org_path       TEXT NOT NULL,
    title          TEXT NOT NULL,
    category       TEXT NOT NULL,
    place          TEXT NOT NULL,
    day            TEXT NOT NULL,
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    slots          INTEGER NOT NULL,
    signed         INTEGER NOT NULL DEFAULT 0,
    organizer      TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    checkin_token  TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL DEFAULT 'open',
    confirmed_at   INTEGER,
    confirmed_by   INTEGER,
    cancel_reason  TEXT,
    created_by     INTEGER,
    created_at     INTEGER NOT NULL,
    CHECK (signed >= 0 AND signed <= slots)
);
CREATE INDEX vol_activities_path ON vol_activities(org_path, day);
CREATE INDEX vol_activities_org ON vol_activities(org_id, day);

CREATE TABLE vol_signups (
    id             INTEGER PRIMARY KEY,
    activity_id    INTEGER NOT NULL REFERENCES vol_activities(id),
    member_id      INTEGER REFERENCES members(id),
    resident_id    INTEGER REFERENCES residents(id),
    household_id   INTEGER REFERENCES households(id),
    name           TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'signed',
    check_in_at    INTEGER,
    check_out_at   INTEGER,
    check_via      TEXT,
    minutes        INTEGER,
    transfer_id    INTEGER REFERENCES point_transfers(id),
    signed_at      INTEGER NOT NULL,
    by_user_id     INTEGER,
    CHECK ((member_id IS NULL) <> (resident_id IS NULL))
);
CREATE UNIQUE INDEX vol_signups_one_member ON vol_signups(activity_id, member_id) WHERE member_id IS NOT NULL;
CREATE UNIQUE INDEX vol_signups_one_resident ON vol_signups(activity_id, resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX vol_signups_member ON vol_signups(member_id);
CREATE INDEX vol_signups_household ON vol_signups(household_id);

-- The organizer picks resident volunteers by name.
CREATE INDEX residents_name ON residents(name);

CREATE TABLE vol_hour_changes (
    id              INTEGER PRIMARY KEY,
    signup_id       INTEGER NOT NULL REFERENCES vol_signups(id),
    minutes_before  INTEGER,
    minutes_after   INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    by_user_id      INTEGER,
    at              INTEGER NOT NULL
);
CREATE INDEX vol_hour_changes_signup ON vol_hour_changes(signup_id);

CREATE TRIGGER vol_hour_changes_no_update BEFORE UPDATE ON vol_hour_changes
BEGIN SELECT RAISE(ABORT, 'vol_hour_changes is append-only'); END;
CREATE TRIGGER vol_hour_changes_no_delete BEFORE DELETE ON vol_hour_changes
BEGIN SELECT RAISE(ABORT, 'vol_hour_changes is append-only'); END;
