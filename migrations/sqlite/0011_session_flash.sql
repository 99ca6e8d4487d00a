-- The message a page shows once after a form was saved ("已保存"): kept in the session, set on
-- the redirect and taken by the next page, so it never travels in the URL.
ALTER TABLE sessions ADD COLUMN flash TEXT;
