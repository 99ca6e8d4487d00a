-- Last attendance per member (the six-month flag on the dues sheet) reads only the index:
-- with demo attendance, a branch's sheet went from 1 ms to 8 ms without meeting_id here.
DROP INDEX meeting_attendance_member;
CREATE INDEX meeting_attendance_member ON meeting_attendance(member_id, status, meeting_id);

-- Lookups the governance pages make by building, household and grid.
CREATE INDEX households_building ON households(building_id);
CREATE INDEX requests_household ON requests(household_id);
CREATE INDEX requests_grid ON requests(grid_id);
CREATE INDEX disputes_grid ON disputes(grid_id);

-- The resident's comment with a rating (staff only; never in the public trail).
ALTER TABLE requests ADD COLUMN rating_comment TEXT;
