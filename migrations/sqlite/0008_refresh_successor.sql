-- The refresh token a rotation issued in place of this one, so that a client retrying a refresh whose
-- answer it lost can be answered from the successor instead of being taken for a thief. NULL until used,
-- and for tokens used before this column existed.
ALTER TABLE refresh_tokens ADD COLUMN replaced_by TEXT;
