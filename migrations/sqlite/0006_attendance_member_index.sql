-- Members' last attendance, for the six-months-without-organizational-life flag.
CREATE INDEX meeting_attendance_member ON meeting_attendance(member_id, status);
