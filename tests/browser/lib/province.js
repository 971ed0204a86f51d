// A provincial platform for the federation scenarios: oidc-provider (panva, OpenID Certified) on a port of
// its own at 127.0.0.1, with its development sign-in pages (any login and password are accepted; the login
// becomes the subject). It releases the person's name, resident ID number and level through a custom
// `identity` scope, as a provincial platform would, and registers the city as its one client.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Provider from 'oidc-provider';

function freeLoopbackPort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts the province for the test `t` (stopped when it ends). `people` maps a login to the claims the
 * province holds for it ({ name, id_number, level }); `cityIssuer` is the city yimen's issuer.
 * Returns { issuer, clientId, clientSecret, logouts } where `logouts` counts end-session requests.
 */
export async function startProvinceFor(t, { people, cityIssuer }) {
  const port = await freeLoopbackPort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'city';
  const clientSecret = randomBytes(24).toString('base64url');
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${cityIssuer}/login/upstream/province/callback`],
      post_logout_redirect_uris: [`${cityIssuer}/login/upstream/province/logged-out`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    cookies: { keys: [randomBytes(24).toString('base64url')] },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, ...(people[id] || {}) }; } };
    },
    claims: { openid: ['sub'], profile: ['name'], identity: ['id_number', 'level'] },
    scopes: ['openid', 'profile', 'identity'],
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
    },
  });
  const logouts = [];
  provider.on('end_session.success', () => logouts.push(Date.now()));
  const server = await new Promise((resolveServer) => {
    const listening = provider.listen(port, '127.0.0.1', () => resolveServer(listening));
  });
  t.after(() => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }));
  return { issuer, clientId, clientSecret, logouts };
}
