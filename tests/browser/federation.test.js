// Signing in with the provincial platform: a second yimen plays the province (yimen stands in the same
// role toward a district platform). The citizen has an account at the province only; at the city they
// choose the province's button, sign in there, and land back at the department system as a new city
// account, with amr "fed" and the level the province vouched for. Logging out from the system ends both
// sessions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startYimenFor, freePort, CITIZEN } from './lib/yimen.js';
import { startCityFor } from './lib/province.js';
import { launch, screenshot } from './lib/browser.js';
import { openLoginFromRp, signIn, allowConsent, clickToNewPage } from './lib/scenario.js';

test('a citizen of the province signs in to a city system with the provincial platform', { timeout: 120_000 }, async (t) => {
  // The province answers on 127.0.0.1 and the city on localhost: one browser keeps their cookies apart.
  const provincePort = await freePort();
  const province = await startYimenFor(t, { port: provincePort, host: '127.0.0.1' });
  await province.addCitizen(CITIZEN);

  const cityPort = await freePort();
  const cityIssuer = `http://localhost:${cityPort}`;
  const registration = await province.addClient({
    name: '市统一身份认证平台',
    redirectUri: `${cityIssuer}/login/upstream/province/callback`,
    postLogoutRedirectUri: `${cityIssuer}/login/upstream/province/logged-out`,
    scope: 'openid profile identity',
  });
  const { city, rp } = await startCityFor(t, {
    port: cityPort,
    issuer: province.issuer,
    clientId: registration.client_id,
    clientSecret: registration.client_secret,
    levels: '[federation.upstream.levels]\n"urn:yimen:loa:2" = ["register_match"]',
  });

  const browser = await launch();
  t.after(() => browser.close());
  const { page } = browser;
  try {
    await openLoginFromRp(page, rp, city);
    const button = page.getByRole('link', { name: /省统一身份认证平台/ });
    await clickToNewPage(page, button);
    assert.equal(new URL(page.url()).origin, new URL(province.issuer).origin, 'the button leads to the province');
    await signIn(page, CITIZEN.phone, CITIZEN.password);
    // The province asks the citizen once whether the city may have their name and ID number …
    await page.waitForURL((url) => url.pathname === '/consent' && url.origin === new URL(province.issuer).origin);
    await clickToNewPage(page, page.locator('button[name="decision"][value="allow"]'));
    // … and the city, whether the department system may have theirs.
    await allowConsent(page, rp);

    const login = rp.lastLogin;
    assert.deepEqual(login.claims.amr, ['fed'], 'the system sees a federated sign-in');
    assert.equal(login.claims.idp, 'province', 'through the province');
    assert.equal(login.claims.acr, 'urn:yimen:loa:1', 'the province vouched for level 1, and so does the city');
    assert.equal(login.userinfo.name, CITIZEN.name, 'the account was made with the name the province gave');

    // The account centre shows the link, in the city's own pages.
    await page.goto(city.url('/account/upstreams'));
    assert.match(await page.locator('main').innerText(), /省统一身份认证平台/);

    // Logging out from the system ends the city's session and the province's, and returns to the system.
    await page.goto(rp.logoutUrl);
    await page.waitForURL((url) => url.href.startsWith(rp.postLogoutRedirectUri));
    await page.locator('#rp-signed-out').waitFor();
    assert.ok(rp.logouts[0]?.expected, `the system got its own state back: ${rp.logouts[0]?.url}`);
    await page.goto(province.url('/'));
    assert.match(await page.locator('main').innerText(), /您尚未登录/, 'signed out at the province too');
    await page.goto(city.url('/'));
    assert.match(await page.locator('main').innerText(), /您尚未登录/, 'and at the city');
  } catch (error) {
    let shot = '';
    try { shot = await screenshot(page, 'failure-federation'); } catch { /* the page may be gone */ }
    error.message += `\n  at page: ${page.url()}` + (shot ? `\n  screenshot: ${shot}` : '')
      + `\n  city log tail:\n${city.output().slice(-3000)}\n  province log tail:\n${province.output().slice(-2000)}`;
    throw error;
  }
});
