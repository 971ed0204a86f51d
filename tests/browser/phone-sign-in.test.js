// A citizen on a phone (360×740) signs in with a password through a relying party's login link,
// consents, and the RP receives a valid ID token and UserInfo for that person.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn } from './lib/scenario.js';
import { PHONE, screenshot } from './lib/browser.js';
import { horizontalOverflow, unlabelledControls } from './lib/checks.js';

scenario('phone (360 px): password sign-in through the RP, consent, ID token and UserInfo arrive', { browser: PHONE }, async ({ yimen, rp, client, citizen, page, t }) => {
  const loginUrl = await openLoginFromRp(page, rp, yimen);
  assert.match(loginUrl.search, /^\?rid=/, 'the login page is reached with a request id');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN', 'Chinese by default');
  await assert.doesNotReject(page.locator('#account').waitFor({ state: 'visible' }));
  assert.match(await page.locator('main').innerText(), /社保查询系统/, 'the login page names the system being signed in to');

  const shot = await screenshot(page, 'login-360');
  t.diagnostic(`screenshot of the login page at 360 px: ${shot}`);

  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= 360,
    `login page scrolls sideways at 360 px: scrollWidth ${overflow.scrollWidth}; widest elements: ${JSON.stringify(overflow.culprits)}`);
  assert.deepEqual(await unlabelledControls(page), [], 'every input on the login page has a label');

  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/consent');
  const consent = await horizontalOverflow(page);
  assert.ok(consent.scrollWidth <= 360,
    `consent page scrolls sideways at 360 px: scrollWidth ${consent.scrollWidth}; ${JSON.stringify(consent.culprits)}`);
  assert.deepEqual(await unlabelledControls(page), [], 'every input on the consent page has a label');
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.redirectUri)),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  await page.locator('#rp-signed-in').waitFor();

  const callback = new URL(page.url());
  assert.equal(callback.searchParams.get('iss'), yimen.issuer, 'the authorization response carries iss (RFC 9207)');
  assert.equal(rp.errors.length, 0, `the RP reported errors: ${rp.errors.map((e) => e.error?.message)}`);
  assert.equal(rp.logins.length, 1, 'the RP completed one sign-in');
  const { claims, userinfo } = rp.lastLogin;
  assert.equal(claims.iss, yimen.issuer);
  assert.ok([].concat(claims.aud).includes(client.client_id), `the ID token is for this client (aud ${claims.aud})`);
  assert.ok(typeof claims.sub === 'string' && claims.sub.length > 0, 'the ID token has a subject');
  assert.equal(userinfo.sub, claims.sub, 'UserInfo is about the ID token subject');
  assert.equal(userinfo.name, citizen.name);
  assert.equal(userinfo.phone_number, `+86${citizen.phone}`);
  assert.deepEqual(claims.amr, ['pwd'], 'the ID token says a password was used');
  assert.equal(await page.locator('#who').innerText(), citizen.name, 'the RP page shows the signed-in name');
});
