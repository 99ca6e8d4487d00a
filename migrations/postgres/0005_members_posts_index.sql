-- Branch committees are found from the members who hold posts: index just those rows.
CREATE INDEX members_posts ON members(org_path, posts) WHERE posts <> '';
