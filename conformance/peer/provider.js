// Reference OpenID Provider for validating the conformance harness.
//
// oidc-provider (panva) is OpenID Certified for Basic OP, Config OP and RP-Initiated Logout OP,
// so any FAILURE the harness reports against this peer is a harness bug.  The configuration mirrors
// yimen's feature set: static confidential clients, authorization code flow, refresh tokens for
// offline_access, RP-initiated logout, Back-Channel Logout, no request objects, PKCE optional for
// confidential clients.
//
// Environment:
//   PEER_PORT       port to listen on (127.0.0.1), default 4000
//   RP_BASE         base URL of the client redirect URIs (never served) and of the harness's receiver
//                   (back-channel logout), default http://127.0.0.1:4999
//   HARNESS_CONFIG  if set, the harness config JSON for this peer is written to this path
//   PEER_BREAK      harness self-test only: comma-separated faults to inject (see FAULTS below);
//                   the harness must then report FAILUREs, so run-peer.sh exits non-zero
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PEER_PORT || 4000);
const ISSUER = `http://${HOST}:${PORT}`;
const RP_BASE = process.env.RP_BASE || 'http://127.0.0.1:4999';
const POST_LOGOUT_REDIRECT_URI = `${RP_BASE}/post_logout_redirect`;

// A fresh RS256 signing key for every run, with a kid (OIDCC-10.1).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `peer-rs256-${randomBytes(4).toString('hex')}`,
  use: 'sig',
  alg: 'RS256',
};

const secret = () => randomBytes(24).toString('base64url');

function client(clientId, paths, authMethod, extra = {}) {
  return {
    client_id: clientId,
    client_secret: secret(),
    client_name: clientId,
    redirect_uris: [].concat(paths).map((path) => `${RP_BASE}${path}`),
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
    ...extra,
  };
}

const clients = [
  client('client', '/cb', 'client_secret_basic'),
  client('client2', '/cb2', 'client_secret_basic'),
  client('client_secret_post', '/cb3', 'client_secret_post'),
  // extra plan: two redirect URIs, the second with a query
  client('redirect_client', ['/cb4', '/cb4q?bar=foo'], 'client_secret_basic'),
  // backchannel plan: the suite's static-client registration for oidcc-backchannel-rp-initiated-logout
  client('backchannel_client', '/cb5', 'client_secret_basic', {
    backchannel_logout_uri: `${RP_BASE}/backchannel_logout`,
    backchannel_logout_session_required: true,
  }),
];

// One full test account: devInteractions accept any login; the login becomes the subject.
function accountClaims(sub) {
  return {
    sub,
    name: 'Buffy Anne Summers',
    given_name: 'Buffy',
    family_name: 'Summers',
    middle_name: 'Anne',
    nickname: 'Buff',
    preferred_username: 'buffy',
    profile: 'https://example.com/buffy',
    picture: 'https://example.com/buffy.png',
    website: 'https://example.com',
    gender: 'female',
    birthdate: '1981-01-19',
    zoneinfo: 'Europe/London',
    locale: 'en-GB',
    updated_at: 1700000000,
    email: 'buffy@example.com',
    email_verified: true,
    phone_number: '+44 7700 900123',
    phone_number_verified: true,
    address: {
      formatted: '1630 Revello Drive, Sunnydale, CA 95037, USA',
      street_address: '1630 Revello Drive',
      locality: 'Sunnydale',
      region: 'CA',
      postal_code: '95037',
      country: 'USA',
    },
  };
}

const configuration = {
  clients,
  jwks: { keys: [signingKey] },
  // POST at the authorization and end_session endpoints (oidcc-ensure-post-request-succeeds);
  // oidc-provider then insists on SameSite=None for its long-lived session cookie.
  enableHttpPostMethods: true,
  cookies: { keys: [secret(), secret()], long: { sameSite: 'none' } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return accountClaims(id);
      },
    };
  },
  claims: {
    openid: ['sub'],
    address: ['address'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
    profile: ['birthdate', 'family_name', 'gender', 'given_name', 'locale', 'middle_name', 'name',
      'nickname', 'picture', 'preferred_username', 'profile', 'updated_at', 'website', 'zoneinfo'],
  },
  scopes: ['openid', 'offline_access', 'address', 'email', 'phone', 'profile'],
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
    claimsParameter: { enabled: true },
    userinfo: { enabled: true },
    requestObjects: { enabled: false },
  },
  // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection). The harness's
  // receiver for back-channel logout listens on 127.0.0.1, so the peer may call loopback addresses
  // (and nothing else).
  fetch(url, options) {
    const { hostname } = new URL(url);
    if (hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]') {
      const { dispatcher, ...rest } = options;
      if (faults.includes('logout-token-bad-signature')) tamperLogoutToken(rest);
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options);
  },
  // PKCE stays optional for confidential clients (required only for public ones).
  pkce: { required: (ctx, c) => c.clientAuthMethod === 'none' },
};

const provider = new Provider(ISSUER, configuration);

// Back-channel logout deliveries, in peer/last-peer.log.
provider.on('backchannel.success', (ctx, client, accountId, sid) => {
  console.log(`backchannel logout delivered to ${client.clientId} (sid ${sid})`);
});
provider.on('backchannel.error', (ctx, err, client, accountId, sid) => {
  console.log(`backchannel logout to ${client.clientId} (sid ${sid}) failed: ${err.message}`);
});

// Fault injection, to check that the harness notices broken OPs (never enabled by default).
const FAULTS = {
  // drop state from every redirect back to the client (CheckMatchingStateParameter)
  'drop-state': (ctx) => {
    const location = ctx.response.get('Location');
    if (location && location.startsWith(RP_BASE)) {
      const url = new URL(location);
      url.searchParams.delete('state');
      ctx.redirect(url.href);
    }
  },
  // a JSON null claim in userinfo (AbstractValidateOpenIdStandardClaims)
  'null-claim': (ctx) => {
    if (ctx.path === '/me' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      ctx.body = { ...ctx.body, nickname: null };
    }
  },
  // token responses without Cache-Control: no-store (CheckTokenEndpointCacheHeaders)
  'cacheable-token': (ctx) => {
    if (ctx.path === '/token') ctx.remove('Cache-Control');
  },
  // logout tokens with a nonce added after signing, so the signature no longer verifies (see fetch above)
  'logout-token-bad-signature': () => {},
  // redirect to the client even when the logout request is invalid (no-redirect logout modules)
  'logout-always-redirects': (ctx) => {
    if (ctx.path === '/session/end' && ctx.status === 400) {
      ctx.status = 303;
      ctx.redirect(POST_LOGOUT_REDIRECT_URI);
    }
  },
};
const faults = (process.env.PEER_BREAK || '').split(',').filter(Boolean);

function tamperLogoutToken(options) {
  const body = new URLSearchParams(options.body);
  const [header, payload, signature] = (body.get('logout_token') || '').split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  claims.nonce = 'added-after-signing';
  body.set('logout_token', [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.'));
  options.body = body;
}
for (const name of faults) {
  if (!FAULTS[name]) throw new Error(`unknown PEER_BREAK fault ${name}; known: ${Object.keys(FAULTS)}`);
}
if (faults.length) {
  console.log(`PEER_BREAK active: ${faults.join(', ')}`);
  provider.use(async (ctx, next) => {
    await next();
    for (const name of faults) FAULTS[name](ctx);
  });
}

if (process.env.HARNESS_CONFIG) {
  const config = {
    issuer: ISSUER,
    client: pick(clients[0]),
    client2: pick(clients[1]),
    client_secret_post: pick(clients[2]),
    redirect_client: pick(clients[3]),
    backchannel_client: pick(clients[4]),
    post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
    receiver_base_url: RP_BASE,
    // no rotate_keys_command: the peer's keys are fixed for its lifetime (oidcc-server-rotate-keys SKIPs)
    user: { fields: { login: 'buffy', password: 'anything' } },
  };
  writeFileSync(process.env.HARNESS_CONFIG, `${JSON.stringify(config, null, 2)}\n`);
}

function pick(c) {
  const block = { client_id: c.client_id, client_secret: c.client_secret, redirect_uri: c.redirect_uris[0] };
  if (c.redirect_uris.length > 1) block.redirect_uris = c.redirect_uris;
  if (c.backchannel_logout_uri) {
    block.backchannel_logout_uri = c.backchannel_logout_uri;
    block.backchannel_logout_session_required = c.backchannel_logout_session_required;
  }
  return block;
}

provider.listen(PORT, HOST, () => {
  console.log(`oidc-provider peer listening, issuer ${ISSUER}`);
});
