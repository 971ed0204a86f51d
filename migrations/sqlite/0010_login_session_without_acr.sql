-- A login session's acr was written at every sign-in and never read: the acr of a token follows the
-- person's verification evidence when it is issued (assurance/levels.rs), not the session.
ALTER TABLE login_sessions DROP COLUMN acr;
