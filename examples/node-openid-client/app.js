// A department system that signs citizens in through yimen with openid-client 6 (Node 20+): the
// authorization code flow with PKCE, state and nonce, the ID token checked by openid-client, UserInfo,
// refreshing the tokens, and logging out at yimen. It keeps its sessions in memory, which a real system
// would keep in its own session store.
//
//   YIMEN_ISSUER=http://localhost:8080 CLIENT_ID=… CLIENT_SECRET=… PORT=3000 node app.js
//
// Register it first: yimen client add --name 示例系统 --redirect-uri http://localhost:3000/callback \
//   --post-logout-redirect-uri http://localhost:3000/ --scope "openid profile"

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';

const page = (title, body) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>${title}</title></head><body>${body}</body></html>`;
const esc = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Starts the system on `port` at `publicUrl` (default http://localhost:PORT), signing in through the yimen
 * at `issuer` as the client `clientId` / `clientSecret`. Returns { url, close }.
 */
export async function start({ issuer, clientId, clientSecret, port = 3000, publicUrl, scope = 'openid profile' }) {
  const base = publicUrl || `http://localhost:${port}`;
  const redirectUri = `${base}/callback`;
  // Plain http is for a development yimen on this machine; production issuers are https.
  const options = new URL(issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
  // yimen registers systems for client_secret_basic unless told otherwise (yimen client add --help).
  const config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), options);
  const starting = new Map(); // state → { verifier, nonce }
  const sessions = new Map(); // session cookie → { tokens, claims, userinfo }

  const sessionOf = (req) => {
    const cookie = (req.headers.cookie || '').split(';').map((c) => c.trim().split('=')).find(([k]) => k === 'sid');
    return cookie ? sessions.get(cookie[1]) : undefined;
  };

  async function handle(req, res) {
    const url = new URL(req.url, base);
    const session = sessionOf(req);
    if (url.pathname === '/') {
      const body = session
        ? `<h1>已登录：<span id="name">${esc(session.userinfo.name)}</span></h1>`
          + `<p>acr <code id="acr">${esc(session.claims.acr)}</code></p>`
          + `<p><a id="refresh" href="/refresh">刷新令牌</a> · <a id="logout" href="/logout">退出登录</a></p>`
        : '<h1 id="signed-out">未登录</h1><p><a id="login" href="/login">用统一身份认证平台登录</a></p>';
      return send(res, 200, page('示例系统', body));
    }
    if (url.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      starting.set(state, { verifier, nonce });
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope,
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      return redirect(res, target.href);
    }
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state');
      const pending = starting.get(state);
      if (!pending) return send(res, 400, page('出错了', '<h1>登录已失效，请重新登录。</h1><a href="/login">重新登录</a>'));
      starting.delete(state);
      if (url.searchParams.get('error')) {
        return send(res, 400, page('未登录', `<h1 id="error">${esc(url.searchParams.get('error'))}</h1><a href="/login">重新登录</a>`));
      }
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      const sid = randomBytes(24).toString('base64url');
      sessions.set(sid, { tokens, claims, userinfo });
      res.setHeader('set-cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
      return redirect(res, '/');
    }
    if (url.pathname === '/refresh' && session) {
      session.tokens = await oidc.refreshTokenGrant(config, session.tokens.refresh_token);
      session.userinfo = await oidc.fetchUserInfo(config, session.tokens.access_token, session.claims.sub);
      return send(res, 200, page('示例系统', `<h1 id="refreshed">令牌已刷新</h1><p><a href="/">返回</a></p>`));
    }
    if (url.pathname === '/logout' && session) {
      const cookie = (req.headers.cookie || '').match(/sid=([^;]+)/)?.[1];
      sessions.delete(cookie);
      res.setHeader('set-cookie', 'sid=; Path=/; Max-Age=0');
      const target = oidc.buildEndSessionUrl(config, {
        id_token_hint: session.tokens.id_token,
        post_logout_redirect_uri: `${base}/`,
      });
      return redirect(res, target.href);
    }
    return send(res, 404, page('未找到', '<h1>未找到</h1>'));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      // openid-client puts the server's error code and description on the error it throws.
      const said = error.error ? `${error.error}: ${error.error_description || ''}\n` : '';
      send(res, 500, page('出错了', `<pre id="failure">${esc(said + (error.stack || error))}</pre>`));
    });
  });
  await new Promise((ready) => server.listen(port, '127.0.0.1', ready));
  return { url: base, close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }) };
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

function redirect(res, location) {
  res.writeHead(302, { location }).end();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await start({
    issuer: process.env.YIMEN_ISSUER || 'http://localhost:8080',
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    port: Number(process.env.PORT || 3000),
  });
  console.log(`the example system is at ${url}`);
}
