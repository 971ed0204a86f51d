-- CAS 3.0 for legacy systems. A client speaks OpenID Connect or CAS; a CAS client's redirect_uris are
-- its service URLs (exact, or a prefix ending in '*'). A validated service ticket becomes a grant like a
-- redeemed code, remembering the service and the ticket, which single logout names to the service.
ALTER TABLE clients ADD COLUMN protocol TEXT NOT NULL DEFAULT 'oidc';
ALTER TABLE grants ADD COLUMN cas_service TEXT;
ALTER TABLE grants ADD COLUMN cas_ticket TEXT;
