-- Direct members of an org are found by org_path (equal to the org's path), so the org_id index only slowed writes.
DROP INDEX members_org;
