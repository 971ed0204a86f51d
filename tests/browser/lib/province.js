// The federation scenarios' parts: a city yimen that trusts a province, with its department system; and a
// provincial platform that is not yimen: oidc-provider (panva, OpenID Certified) on a port of
// its own at 127.0.0.1, with its development sign-in pages (any login and password are accepted; the login
// becomes the subject). It releases the person's name, resident ID number and level through a custom
// `identity` scope, as a provincial platform would, and registers the city as its one client.

import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { startYimenFor } from './yimen.js';
import { startRpFor } from './rp.js';

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

/**
 * Starts, for the test `t`, the city yimen on `port` (http://localhost:PORT) with the province as its
 * upstream "province" (`issuer`, `clientId`, `clientSecret`; `levels` is the TOML of its level mapping, with
 * any claim paths before it), and the department system's RP registered with the city.
 * Returns { city, rp }.
 */
export async function startCityFor(t, { port, issuer, clientId, clientSecret, levels }) {
  const dir = await mkdtemp(join(tmpdir(), 'yimen-city-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'yimen.toml');
  await writeFile(config, `
[[federation.upstream]]
id = "province"
name = "省统一身份认证平台"
name_en = "Provincial identity platform"
protocol = "oidc"
issuer = "${issuer}"
client_id = "${clientId}"
client_secret = "${clientSecret}"
scopes = ["openid", "profile", "identity"]
max_acr = "urn:yimen:loa:3"
${levels}
`);
  const city = await startYimenFor(t, { port, env: { YIMEN_CONFIG: config } });
  const rp = await startRpFor(t);
  const scope = 'openid profile';
  const client = await city.addClient({ redirectUri: rp.redirectUri, postLogoutRedirectUri: rp.postLogoutRedirectUri, scope });
  await rp.configure({ issuer: city.issuer, clientId: client.client_id, clientSecret: client.client_secret, scope });
  return { city, rp };
}
