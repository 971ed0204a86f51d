-- What the first staff member checked of an organisation's representative (document type, its validity, the
-- face match), as JSON, so that the second staff member sees it before confirming. No document number: the
-- representative's account holds it. NULL for verifications recorded before this column existed.
ALTER TABLE org_verifications ADD COLUMN evidence TEXT;
