// RP-initiated logout: with id_token_hint the person is signed out at once and sent back to the RP with
// its state; without a hint yimen asks first. Either way the next sign-in asks for the password again.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn } from './lib/scenario.js';

async function signInThroughRp(page, rp, yimen, citizen) {
  await openLoginFromRp(page, rp, yimen);
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/consent');
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.redirectUri)),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  await page.locator('#rp-signed-in').waitFor();
}

async function homeSaysSignedIn(page, yimen) {
  await page.goto(yimen.url('/'));
  return page.locator('main').innerText();
}

scenario('logout from the RP with id_token_hint returns to the RP with its state; the next login asks for the password', async ({ yimen, rp, citizen, page }) => {
  await signInThroughRp(page, rp, yimen, citizen);
  assert.equal(rp.logins.length, 1);
  assert.match(await homeSaysSignedIn(page, yimen), /当前登录：\s*张三/, 'yimen\'s home page shows who is signed in');

  // SSO works before logout: a second sign-in from the RP goes straight back (consent is remembered).
  await page.goto(rp.loginUrl);
  await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
  await page.locator('#rp-signed-in').waitFor();
  assert.equal(rp.logins.length, 2, 'single sign-on: no login page while signed in');

  const visited = [];
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) visited.push(frame.url()); });
  await page.goto(rp.logoutUrl);
  await page.waitForURL((url) => url.href.startsWith(rp.postLogoutRedirectUri));
  await page.locator('#rp-signed-out').waitFor();
  assert.equal(rp.logouts.length, 1, 'the browser came back to the RP\'s post_logout_redirect_uri');
  const back = rp.logouts[0];
  assert.ok(back.state, `the return carries a state: ${back.url}`);
  assert.ok(back.expected, `the state is the one the RP sent: ${back.url}`);
  assert.ok(!visited.some((url) => new URL(url).pathname === '/logout' && url.startsWith(yimen.issuer)),
    `with a valid id_token_hint no confirmation page is shown; visited ${visited.join(' → ')}`);

  assert.match(await homeSaysSignedIn(page, yimen), /您尚未登录/, 'yimen\'s home page shows nobody signed in');

  await openLoginFromRp(page, rp, yimen);
  await page.locator('#password').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#account').inputValue(), '', 'the login form starts empty');
  assert.equal(rp.logins.length, 2, 'no sign-in completed without the password');

  // And the password works again, with consent still remembered.
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
  await page.locator('#rp-signed-in').waitFor();
  assert.equal(rp.logins.length, 3);
  assert.equal(rp.logins[2].claims.sub, rp.logins[0].claims.sub, 'same person, same subject');
  assert.notEqual(rp.logins[2].claims.sid, rp.logins[0].claims.sid, 'a new login session after logout');
});

scenario('logout without id_token_hint asks for confirmation first, then signs out', async ({ yimen, rp, citizen, page }) => {
  await signInThroughRp(page, rp, yimen, citizen);
  await page.goto(yimen.url('/logout'));
  assert.equal(await page.locator('h1').innerText(), '退出登录', 'a confirmation page, not an immediate logout');
  assert.match(await homeSaysSignedIn(page, yimen), /当前登录：\s*张三/, 'still signed in while the question is open');

  await page.goto(yimen.url('/logout'));
  await Promise.all([
    page.waitForLoadState('load'),
    page.locator('button[name="decision"][value="logout"]').click(),
  ]);
  await page.waitForURL((url) => url.pathname === '/logout/confirm');
  assert.equal(await page.locator('h1').innerText(), '您已退出');
  assert.match(await homeSaysSignedIn(page, yimen), /您尚未登录/);

  await openLoginFromRp(page, rp, yimen);
  await page.locator('#password').waitFor({ state: 'visible' });
});

// Guards a fixed yimen bug: the logout confirmation page's language switch returned to a bare /logout,
// losing the RP's post_logout_redirect_uri, state and client: the page no longer named the system, and
// after "Sign out" the person stayed on yimen instead of going back to the RP.
scenario('logout confirmation: switching language keeps the RP\'s sign-out request', async ({ yimen, rp, client, citizen, page }) => {
  await signInThroughRp(page, rp, yimen, citizen);
  const logout = new URL(yimen.url('/logout'));
  logout.searchParams.set('client_id', client.client_id);
  logout.searchParams.set('post_logout_redirect_uri', rp.postLogoutRedirectUri);
  logout.searchParams.set('state', 'state-kept-across-switch');
  await page.goto(logout.href);
  assert.match(await page.locator('main').innerText(), /社保查询系统/, 'the confirmation names the system');

  await page.locator('header a[href^="/lang?"]').click();
  await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
  assert.equal(new URL(page.url()).pathname, '/logout', 'the switch returns to the confirmation page');
  assert.equal(await page.locator('h1').innerText(), 'Sign out');
  assert.match(await page.locator('main').innerText(), /社保查询系统/, 'after switching, the confirmation still names the system');
  await page.locator('button[name="decision"][value="logout"]').click();
  await page.waitForURL((url) => url.href.startsWith(rp.postLogoutRedirectUri) || url.pathname === '/logout/confirm');
  assert.ok(page.url().startsWith(rp.postLogoutRedirectUri),
    `after confirming, the browser goes back to the RP; it is at ${page.url()}`);
  await page.locator('#rp-signed-out').waitFor();
  assert.equal(rp.logouts.at(-1)?.state, 'state-kept-across-switch', 'the RP gets back its own state');
});

// Single logout: the RP registered a front-channel URI (loaded by yimen's logout page in a hidden frame,
// with iss and sid) and a back-channel URI (a signed logout token, verified here with jose against the
// JWKS). Both must arrive for the session the RP's ID token named, and the browser must still end up at
// the RP's post_logout_redirect_uri.
scenario('single logout tells the RP through a hidden frame and a signed logout token, then returns to it', { singleLogout: true }, async ({ yimen, rp, citizen, page }) => {
  await signInThroughRp(page, rp, yimen, citizen);
  const { sid } = rp.lastLogin.claims;
  assert.ok(sid, 'the ID token names the session');

  await page.goto(rp.logoutUrl);
  await page.waitForURL((url) => url.href.startsWith(rp.postLogoutRedirectUri), { timeout: 15_000 });
  await page.locator('#rp-signed-out').waitFor();
  assert.equal(rp.logouts.at(-1)?.expected, true, 'back at the RP with its own state');

  assert.equal(rp.frontchannelLogouts.length, 1, 'the front-channel URI was loaded once');
  const front = rp.frontchannelLogouts[0];
  assert.equal(front.iss, yimen.issuer, 'with the issuer');
  assert.equal(front.sid, sid, 'and the session the RP knows');
  assert.equal(front.fetchDest, 'iframe', 'in a frame of the logout page, as the CSP allowed');

  for (let i = 0; i < 100 && rp.backchannelLogouts.length === 0; i += 1) {
    await new Promise((done) => setTimeout(done, 100));
  }
  assert.equal(rp.backchannelLogouts.length, 1, 'one logout token arrived over the back channel');
  const { header, claims } = rp.backchannelLogouts[0];
  assert.equal(header.typ, 'logout+jwt');
  assert.equal(claims.sid, sid);
  assert.equal(claims.sub, rp.lastLogin.claims.sub);
  assert.deepEqual(claims.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.equal(claims.nonce, undefined, 'a logout token carries no nonce');
  assert.match(await homeSaysSignedIn(page, yimen), /您尚未登录/);
});
