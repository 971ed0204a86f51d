// A tiny relying party: a real HTTP server on a free loopback port that signs people in at yimen with
// `openid-client` (v6, a certified RP library) and records what arrived, so tests can assert on the ID
// token's claims and the UserInfo response.
//
//   GET /login?…        → redirect to yimen's /authorize (code flow, state, nonce, PKCE S256)
//                         extra query parameters (ui_locales, prompt, login_hint, …) are passed along
//   GET /callback       → code exchanged at /token (client_secret_basic), ID token validated, /userinfo read
//   GET /logout         → redirect to yimen's end_session_endpoint with id_token_hint, post_logout_redirect_uri, state
//   GET /logged-out     → where yimen sends the browser back after logout; records the state it got
//   GET /frontchannel-logout  → Front-Channel Logout 1.0: records iss and sid (yimen loads it in a frame)
//   POST /backchannel-logout  → Back-Channel Logout 1.0: validates the logout token with openid-client's
//                         JOSE checks (signature by the JWKS, iss, aud) and records its claims
//   GET /               → a page saying who is signed in here
//
// The RP is served on http://127.0.0.1:PORT, a different site from the OP (http://localhost:PORT), as a
// department's system would be.

import * as oidc from 'openid-client';
import { createServer } from 'node:http';

const html = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
const esc = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class RelyingParty {
  constructor() {
    this.server = null;
    this.base = null;
    this.config = null;
    this.scope = 'openid profile phone';
    this.pending = new Map(); // state → { nonce, codeVerifier }
    this.logins = []; // every completed sign-in: { claims, userinfo, tokens, idToken, callbackUrl }
    this.errors = []; // every failed callback: { url, error }
    this.logouts = []; // every return from logout: { state, expectedState, url }
    this.logoutStates = new Set();
    this.frontchannelLogouts = []; // every front-channel logout request: { iss, sid, fetchDest }
    this.backchannelLogouts = []; // every back-channel logout token's claims
    this.idToken = null; // the ID token of the last sign-in, used as id_token_hint
  }

  get redirectUri() { return `${this.base}/callback`; }
  get postLogoutRedirectUri() { return `${this.base}/logged-out`; }
  get loginUrl() { return `${this.base}/login`; }
  get logoutUrl() { return `${this.base}/logout`; }
  get frontchannelLogoutUri() { return `${this.base}/frontchannel-logout`; }
  get backchannelLogoutUri() { return `${this.base}/backchannel-logout`; }
  get lastLogin() { return this.logins.at(-1); }

  /** Serves on a free loopback port; call before registering the client (its redirect URI needs the port). */
  async listen() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        this.errors.push({ url: req.url, error });
        res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html('RP error', `<h1>RP error</h1><pre id="rp-error">${esc(error.stack || error)}</pre>`));
      });
    });
    await new Promise((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(0, '127.0.0.1', done);
    });
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  /** Discovers the issuer and sets the client up; http issuers need allowInsecureRequests. */
  async configure({ issuer, clientId, clientSecret, scope }) {
    if (scope) this.scope = scope;
    this.config = await oidc.discovery(
      new URL(issuer),
      clientId,
      { client_secret: clientSecret },
      oidc.ClientSecretBasic(clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    return this;
  }

  async handle(req, res) {
    const url = new URL(req.url, this.base);
    switch (url.pathname) {
      case '/login': return this.login(url, res);
      case '/callback': return this.callback(url, res);
      case '/logout': return this.logout(url, res);
      case '/logged-out': return this.loggedOut(url, res);
      case '/frontchannel-logout': {
        this.frontchannelLogouts.push({
          iss: url.searchParams.get('iss'),
          sid: url.searchParams.get('sid'),
          fetchDest: req.headers['sec-fetch-dest'],
        });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html('Front-channel logout', '<p>signed out</p>'));
        return undefined;
      }
      case '/backchannel-logout': return this.backchannelLogout(req, res);
      case '/': {
        const who = this.lastLogin?.userinfo?.name;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html('RP', `<h1>Test RP</h1><p id="who">${who ? esc(who) : 'nobody'}</p><a href="/login">Sign in</a>`));
        return undefined;
      }
      default:
        res.writeHead(404).end('not found');
        return undefined;
    }
  }

  async login(url, res) {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    this.pending.set(state, { nonce, codeVerifier });
    const parameters = {
      redirect_uri: this.redirectUri,
      scope: this.scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    for (const [key, value] of url.searchParams) parameters[key] = value;
    const target = oidc.buildAuthorizationUrl(this.config, parameters);
    res.writeHead(302, { location: target.href }).end();
  }

  async callback(url, res) {
    const state = url.searchParams.get('state');
    const pending = this.pending.get(state);
    if (!pending) throw new Error(`callback with an unknown state: ${url.search}`);
    this.pending.delete(state);
    const tokens = await oidc.authorizationCodeGrant(this.config, url, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await oidc.fetchUserInfo(this.config, tokens.access_token, claims.sub);
    this.idToken = tokens.id_token;
    this.logins.push({ claims, userinfo, tokens, idToken: tokens.id_token, callbackUrl: url.href });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html('Signed in', `<h1 id="rp-signed-in">Signed in</h1><p id="who">${esc(userinfo.name ?? '')}</p>`
      + `<pre id="claims">${esc(JSON.stringify(claims, null, 2))}</pre>`));
  }

  async logout(url, res) {
    if (!this.idToken) throw new Error('logout before any sign-in');
    const state = oidc.randomState();
    this.logoutStates.add(state);
    const parameters = {
      id_token_hint: this.idToken,
      post_logout_redirect_uri: this.postLogoutRedirectUri,
      state,
    };
    for (const [key, value] of url.searchParams) parameters[key] = value;
    const target = oidc.buildEndSessionUrl(this.config, parameters);
    res.writeHead(302, { location: target.href }).end();
  }

  async loggedOut(url, res) {
    const state = url.searchParams.get('state');
    const expected = this.logoutStates.has(state);
    if (expected) this.logoutStates.delete(state);
    this.logouts.push({ state, expected, url: url.href });
    this.idToken = null;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html('Signed out', `<h1 id="rp-signed-out">Signed out</h1><p id="state">${esc(state ?? '')}</p>`));
  }

  async backchannelLogout(req, res) {
    let body = '';
    for await (const chunk of req) body += chunk;
    const token = new URLSearchParams(body).get('logout_token');
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));
    // Verify the signature against the OP's JWKS with jose, as openid-client's own validation does.
    const jose = await import('jose');
    const jwks = jose.createRemoteJWKSet(new URL(this.config.serverMetadata().jwks_uri));
    const { payload: verified } = await jose.jwtVerify(token, jwks, {
      issuer: this.config.serverMetadata().issuer,
      audience: this.config.clientMetadata().client_id,
      typ: 'logout+jwt',
    });
    this.backchannelLogouts.push({ header, claims: verified, unverified: payload });
    res.writeHead(200, { 'cache-control': 'no-store' }).end();
  }

  async close() {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise((done) => this.server.close(() => done()));
    this.server = null;
  }
}

/** Starts an RP for the test `t` and closes it when the test ends. */
export async function startRpFor(t) {
  const rp = await new RelyingParty().listen();
  t.after(() => rp.close());
  return rp;
}
