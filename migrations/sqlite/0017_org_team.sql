-- An org's leadership team (班子): seats with their dates; a seat is ended, never deleted.

CREATE TABLE org_team (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    post        TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT,
    end_reason  TEXT,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX org_team_org ON org_team(org_id, starts_on);
