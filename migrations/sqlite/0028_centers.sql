-- Service centers (党群服务中心): one per village or community, checked against the standards of
-- its kind with the signage counts and photos. Checks and photos are append-only (a later check
-- supersedes an earlier one; nothing is corrected in place).

CREATE TABLE service_centers (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    org_path    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('village', 'community')),
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    area_m2     INTEGER,
    by_user_id  INTEGER,
    by_name     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX service_centers_org ON service_centers(org_id);
CREATE INDEX service_centers_path ON service_centers(org_path);

CREATE TABLE center_checks (
    id               INTEGER PRIMARY KEY,
    center_id        INTEGER NOT NULL REFERENCES service_centers(id),
    org_id           INTEGER NOT NULL REFERENCES orgs(id),
    org_path         TEXT NOT NULL,
    on_day           TEXT NOT NULL,
    by_user_id       INTEGER,
    by_name          TEXT NOT NULL,
    plaques          INTEGER NOT NULL CHECK (plaques BETWEEN 0 AND 200),
    guide_signs      INTEGER NOT NULL CHECK (guide_signs BETWEEN 0 AND 200),
    max_plaques      INTEGER NOT NULL,
    max_guide_signs  INTEGER NOT NULL,
    results          TEXT NOT NULL,
    met              INTEGER NOT NULL,
    total            INTEGER NOT NULL,
    passed           INTEGER NOT NULL CHECK (passed IN (0, 1)),
    note             TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX center_checks_center ON center_checks(center_id, on_day);
CREATE INDEX center_checks_path ON center_checks(org_path, on_day);

CREATE TABLE center_photos (
    id            INTEGER PRIMARY KEY,
    check_id      INTEGER NOT NULL REFERENCES center_checks(id),
    center_id     INTEGER NOT NULL REFERENCES service_centers(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    org_path      TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX center_photos_check ON center_photos(check_id);
CREATE INDEX center_photos_path ON center_photos(org_path);

-- A move of the village rewrites org_path; nothing else of a check or photo changes.
CREATE TRIGGER center_checks_no_update BEFORE UPDATE OF center_id, org_id, on_day, by_user_id, by_name, plaques, guide_signs, max_plaques, max_guide_signs, results, met, total, passed, note, created_at ON center_checks
BEGIN SELECT RAISE(ABORT, 'center_checks is append-only'); END;
CREATE TRIGGER center_checks_no_delete BEFORE DELETE ON center_checks
BEGIN SELECT RAISE(ABORT, 'center_checks is append-only'); END;
CREATE TRIGGER center_photos_no_update BEFORE UPDATE OF check_id, center_id, org_id, name, content_type, size, sha256, data, created_at ON center_photos
BEGIN SELECT RAISE(ABORT, 'center_photos is append-only'); END;
CREATE TRIGGER center_photos_no_delete BEFORE DELETE ON center_photos
BEGIN SELECT RAISE(ABORT, 'center_photos is append-only'); END;
