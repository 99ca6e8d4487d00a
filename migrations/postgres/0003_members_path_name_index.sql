-- Subtree listings are ordered by org then name, and a name search inside a small subtree
-- can walk this index instead of every member with that surname.
DROP INDEX members_path;
CREATE INDEX members_path_name ON members(org_path, name, name_initials, id);
