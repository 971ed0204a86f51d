// Signing in with a provincial platform that is not yimen: oidc-provider (OpenID Certified) with its own
// sign-in pages. The province vouches for level "2", which the city maps to a register match, so the
// department system receives the city's level 2 for a person the city had never seen; logging out from the
// system ends the province's session too; the second sign-in is the same account; and a province that
// changes the person's ID number is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from './lib/yimen.js';
import { startProvinceFor, startCityFor } from './lib/province.js';
import { launch, screenshot } from './lib/browser.js';
import { openLoginFromRp, allowConsent, clickToNewPage } from './lib/scenario.js';

/** From the RP's login link through the province's button and sign-in (and its consent, when asked). */
async function signInAtProvince(page, rp, city, province, login) {
  await openLoginFromRp(page, rp, city);
  await clickToNewPage(page, page.getByRole('link', { name: /省统一身份认证平台/ }));
  assert.equal(new URL(page.url()).origin, province.issuer, 'the button leads to the province');
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await clickToNewPage(page, page.locator('button[type="submit"]'));
  if (new URL(page.url()).origin === province.issuer) {
    await clickToNewPage(page, page.locator('button[type="submit"]'));
  }
}

/** Logs out from the RP, confirming at the province (oidc-provider asks), back at the RP. */
async function logOut(page, rp, province) {
  const before = rp.logouts.length;
  await page.goto(rp.logoutUrl);
  await page.waitForURL((url) => url.origin === province.issuer);
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.postLogoutRedirectUri)),
    page.locator('button[name="logout"][value="yes"]').click(),
  ]);
  await page.locator('#rp-signed-out').waitFor();
  assert.equal(rp.logouts.length, before + 1);
}

/** Ends the province's session directly (the city's was never made for the refused sign-in). */
async function logOutAtProvince(page, province) {
  await page.goto(`${province.issuer}/session/end`);
  await Promise.all([
    page.waitForURL((url) => url.pathname.startsWith('/session/end/success')),
    page.locator('button[name="logout"][value="yes"]').click(),
  ]);
}

test('a citizen signs in to a city system with an OpenID Certified provincial platform', { timeout: 120_000 }, async (t) => {
  const cityPort = await freePort();
  const cityIssuer = `http://localhost:${cityPort}`;
  const people = {
    'lisi-44': { name: '李四', id_number: '440106198503121237', level: '2' },
    // Someone the province has not verified: no ID number.
    'guest-1': { name: '访客', level: '1' },
  };
  const province = await startProvinceFor(t, { cityIssuer, people });
  const { city, rp } = await startCityFor(t, {
    port: cityPort,
    issuer: province.issuer,
    clientId: province.clientId,
    clientSecret: province.clientSecret,
    levels: '[federation.upstream.claims]\nlevel = "level"\n[federation.upstream.levels]\n"2" = ["register_match"]',
  });

  const browser = await launch();
  t.after(() => browser.close());
  const { page } = browser;
  try {
    await signInAtProvince(page, rp, city, province, 'lisi-44');
    await allowConsent(page, rp);

    const login = rp.lastLogin;
    assert.deepEqual(login.claims.amr, ['fed']);
    assert.equal(login.claims.idp, 'province');
    assert.equal(login.claims.acr, 'urn:yimen:loa:2', 'the province\'s level 2 is the city\'s register match');
    assert.equal(login.userinfo.name, '李四');

    // The province asks before it signs the person out (oidc-provider's default); the city already has.
    await logOut(page, rp, province);
    assert.ok(rp.logouts[0]?.expected, `the system got its own state back: ${rp.logouts[0]?.url}`);
    assert.equal(province.logouts.length, 1, 'the province ended its session');

    // Signing in again is the same account: the link, not a second registration.
    await signInAtProvince(page, rp, city, province, 'lisi-44');
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    await page.locator('#rp-signed-in').waitFor();
    assert.equal(rp.lastLogin.claims.sub, login.claims.sub, 'the same person, the same subject');
    await logOut(page, rp, province);

    // The province now gives this person another ID number than the linked account's: refused, with why.
    people['lisi-44'].id_number = '440304199001014565';
    await signInAtProvince(page, rp, city, province, 'lisi-44');
    await page.waitForURL((url) => url.origin === city.issuer && url.pathname === '/login/upstream/province/callback');
    assert.match(await page.locator('[role="alert"]').first().innerText(), /不一致/);
    assert.equal(rp.logins.length, 2, 'nothing reached the system');

    // Someone without an ID number at the province is told why, on the city's login page.
    await logOutAtProvince(page, province);
    await signInAtProvince(page, rp, city, province, 'guest-1');
    await page.waitForURL((url) => url.origin === city.issuer && url.pathname === '/login/upstream/province/callback');
    assert.match(await page.locator('[role="alert"]').first().innerText(), /未提供您的姓名或身份证号码/);
    assert.equal(rp.logins.length, 2, 'nothing reached the system');
  } catch (error) {
    let shot = '';
    try { shot = await screenshot(page, 'failure-federation-oidc-provider'); } catch { /* the page may be gone */ }
    error.message += `\n  at page: ${page.url()}` + (shot ? `\n  screenshot: ${shot}` : '')
      + `\n  city log tail:\n${city.output().slice(-3000)}`;
    throw error;
  }
});
