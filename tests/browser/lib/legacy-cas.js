// A legacy department system on Express that signs people in over CAS 3.0 with cas-authentication (npm),
// as such systems do: /app bounces the browser to the CAS server and validates the ticket at
// /cas/p3/serviceValidate; /logout ends the local session and sends the browser to /cas/logout.

import express from 'express';
import session from 'express-session';
import CASAuthentication from 'cas-authentication';

const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Starts the system on `port` against the CAS server at `casUrl` (…/cas). Returns { url, close }. */
export async function startLegacyCas({ casUrl, port }) {
  const base = `http://127.0.0.1:${port}`;
  const cas = new CASAuthentication({ cas_url: casUrl, service_url: base, cas_version: '3.0', session_info: 'cas_userinfo' });
  // cas-authentication 0.0.8 validates on port 80 or 443 whatever cas_url says; a CAS server on another
  // port (here, a development yimen) needs its port set after construction.
  cas.cas_port = Number(new URL(casUrl).port) || cas.cas_port;
  const app = express();
  app.use(session({ secret: 'a legacy system', resave: false, saveUninitialized: true }));
  app.get('/app', cas.bounce, (req, res) => {
    const attributes = req.session.cas_userinfo || {};
    res.send(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>旧系统</title></head><body>
<h1>已登录：<span id="name">${esc(attributes.name)}</span></h1><p id="user">${esc(req.session.cas_user)}</p>
<p id="acr">${esc(attributes.acr)}</p><a id="logout" href="/logout">退出</a></body></html>`);
  });
  app.get('/logout', cas.logout);
  const server = await new Promise((ready) => { const s = app.listen(port, '127.0.0.1', () => ready(s)); });
  return { url: base, close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }) };
}
