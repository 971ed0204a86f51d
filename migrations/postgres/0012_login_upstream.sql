-- The upstream platform a sign-in came through (federation), for the `idp` claim of the ID tokens of the
-- login session and of the grants made in it. NULL for every other sign-in.
ALTER TABLE login_sessions ADD COLUMN upstream TEXT;
ALTER TABLE grants ADD COLUMN upstream TEXT;
