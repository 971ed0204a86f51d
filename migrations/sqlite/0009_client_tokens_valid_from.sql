-- Tokens issued to a client before this time are dead: set when the client is disabled, so that enabling
-- it again does not bring back the tokens it had. 0 for every client until it is first disabled.
ALTER TABLE clients ADD COLUMN tokens_valid_from INTEGER NOT NULL DEFAULT 0;
