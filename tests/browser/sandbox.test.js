// The developers' sandbox (`yimen serve --sandbox`) on a phone, as a department developer meets it: the
// system's sign-in lands on the picker instead of a password form, which fits 360 px and passes axe-core;
// picking the level-4 synthetic person brings the system an ID token and UserInfo marked sandbox: true;
// picking access_denied brings it the error production would send.

import assert from 'node:assert/strict';
import { scenario, allowConsent } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { axeViolations, horizontalOverflow } from './lib/checks.js';

scenario('the sandbox picks a synthetic person and an outcome, on a phone', {
  browser: { ...PHONE, bypassCSP: true },
  yimenEnv: { YIMEN_SANDBOX: 'true' },
}, async ({ yimen, rp, page }) => {
  await page.goto(rp.loginUrl);
  await page.waitForURL((url) => url.origin === new URL(yimen.issuer).origin && url.pathname === '/sandbox/login');
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= overflow.clientWidth, `wider than the screen: ${JSON.stringify(overflow)}`);
  assert.deepEqual(await axeViolations(page), [], 'serious or critical axe-core violations');

  await page.getByLabel(/沙箱四级/).check();
  await page.getByLabel(/正常登录/).first().check();
  await page.locator('button[type="submit"]').click();
  await allowConsent(page, rp);
  const login = rp.logins.at(-1);
  assert.equal(login.claims.sandbox, true, 'the ID token says sandbox');
  assert.equal(login.claims.acr, 'urn:yimen:loa:4');
  assert.equal(login.userinfo.sandbox, true, 'UserInfo says sandbox');
  assert.equal(login.userinfo.name, '沙箱四级');

  await page.goto(rp.loginUrl + '?prompt=login');
  await page.waitForURL((url) => url.pathname === '/sandbox/login');
  await page.getByLabel(/access_denied/).check();
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.redirectUri)),
    page.locator('button[type="submit"]').click(),
  ]);
  assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
});
