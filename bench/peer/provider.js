// The benchmark's peer: oidc-provider (panva, OpenID Certified), configured like yimen for the four
// benchmarked endpoints. Started by bench/run.sh; nothing here is tuned down.
//
//   * one confidential client for client_credentials (client_secret_basic), one for the code flow;
//   * opaque access tokens (oidc-provider's default format without resource indicators), 900 s like
//     yimen's tokens.access_token_ttl_secs;
//   * pairwise subjects for the code-flow client (yimen's default subject type), an HMAC-SHA256 of
//     sector and account like yimen's;
//   * the default in-memory adapter (an LRU of 1000 entries per process), as yimen embedded keeps its
//     tokens in process memory;
//   * devInteractions for the login (any login/password is accepted; the login becomes the account).
//
// Run with NODE_ENV=production. Environment:
//   PEER_PORT       port on 127.0.0.1 (default 4000)
//   PEER_WORKERS    0 or 1: a single process (default); N >= 2: node:cluster with N workers sharing the
//                   port. Every worker builds the same provider from the same keys and secrets, which the
//                   primary makes and hands down; the memory adapter stays per worker (see README.md).
//   PEER_SEED       where the primary writes the clients' ids/secrets and the login fields (JSON)
import cluster from 'node:cluster';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PEER_PORT || 4000);
const ISSUER = `http://${HOST}:${PORT}`;
const WORKERS = Number(process.env.PEER_WORKERS || 0);
const REDIRECT_URI = 'http://127.0.0.1:4999/cb';   // never served; get_token.py reads the Location

const secret = () => randomBytes(32).toString('base64url');

// Keys and secrets are made once (in the primary when clustered) and shared through the environment,
// so that every worker signs with the same key and knows the same clients.
function makeShared() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    jwk: { ...privateKey.export({ format: 'jwk' }), kid: `peer-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' },
    cookieKeys: [secret(), secret()],
    pairwiseKey: secret(),
    ccSecret: secret(),
    codeSecret: secret(),
  };
}

function seed(shared) {
  return {
    issuer: ISSUER,
    cc: { client_id: 'bench-cc', client_secret: shared.ccSecret },
    code: { client_id: 'bench-code', client_secret: shared.codeSecret, redirect_uri: REDIRECT_URI },
    user: { fields: { login: 'bench-user', password: 'any' } },
    scope: 'openid profile phone',
  };
}

function startProvider(shared) {
  const clients = [
    {
      client_id: 'bench-cc',
      client_secret: shared.ccSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'bench-code',
      client_secret: shared.codeSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      subject_type: 'pairwise',
    },
  ];

  // The same kind of person yimen's bench user is: a name, a gender, a birthdate and a phone number.
  const claimsOf = (sub) => ({
    sub,
    name: 'Bench User',
    gender: 'female',
    birthdate: '1949-12-31',
    updated_at: 1700000000,
    phone_number: '+8613800138000',
    phone_number_verified: true,
  });

  const configuration = {
    clients,
    jwks: { keys: [shared.jwk] },
    cookies: { keys: shared.cookieKeys },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return claimsOf(id); } };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'gender', 'birthdate', 'updated_at'],
      phone: ['phone_number', 'phone_number_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'phone'],
    subjectTypes: ['public', 'pairwise'],
    async pairwiseIdentifier(ctx, accountId, client) {
      return createHmac('sha256', shared.pairwiseKey).update(`${client.sectorIdentifier}\0${accountId}`).digest('base64url');
    },
    ttl: {
      AccessToken: 900,
      ClientCredentials: 900,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 30 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: (ctx, c) => c.clientAuthMethod === 'none' },
  };

  const provider = new Provider(ISSUER, configuration);
  provider.listen(PORT, HOST, () => {
    const who = cluster.isWorker ? `worker ${cluster.worker.id} (pid ${process.pid})` : `pid ${process.pid}`;
    console.log(`oidc-provider ${who} listening, issuer ${ISSUER}, NODE_ENV=${process.env.NODE_ENV}`);
  });
}

if (WORKERS >= 2 && cluster.isPrimary) {
  const shared = makeShared();
  if (process.env.PEER_SEED) writeFileSync(process.env.PEER_SEED, `${JSON.stringify(seed(shared), null, 2)}\n`);
  for (let i = 0; i < WORKERS; i += 1) {
    cluster.fork({ PEER_SHARED: JSON.stringify(shared) });
  }
  cluster.on('exit', (worker, code, signal) => {
    console.log(`worker ${worker.id} exited (${signal || code})`);
  });
  // The primary ends the workers when it is told to stop.
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      for (const worker of Object.values(cluster.workers)) worker.kill();
      process.exit(0);
    });
  }
} else if (cluster.isWorker) {
  startProvider(JSON.parse(process.env.PEER_SHARED));
} else {
  const shared = makeShared();
  if (process.env.PEER_SEED) writeFileSync(process.env.PEER_SEED, `${JSON.stringify(seed(shared), null, 2)}\n`);
  startProvider(shared);
}
