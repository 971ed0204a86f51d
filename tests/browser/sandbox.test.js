// The developers' sandbox (`yimen serve --sandbox`) on a phone, as a department developer meets it: the
// system's sign-in lands on the picker instead of a password form, which fits 360 px and passes axe-core;
// picking the level-4 synthetic person brings the system an ID token and UserInfo marked sandbox: true;
// picking access_denied brings it the error production would send.

import assert from 'node:assert/strict';
import { scenario, allowConsent, clickToNewPage } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { axeViolations, horizontalOverflow, untranslated } from './lib/checks.js';

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

scenario('English, phone (360 px): a developer gets sandbox credentials on their own, shown once', {
  browser: { ...PHONE, locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' }, bypassCSP: true },
  yimenEnv: { YIMEN_SANDBOX: 'true' },
  seed: false,
}, async ({ yimen, page }) => {
  await yimen.cli(['catalog', 'add-department', '--name', '市民政局']);
  await yimen.cli(['catalog', 'add-system', '--department', '市民政局', '--name', '婚姻登记系统']);
  const keep = ['沙箱一级', '沙箱二级', '沙箱三级', '沙箱四级', '沙箱示例科技有限公司', '市民政局', '婚姻登记系统'];
  const clean = async (what) => {
    assert.equal(await page.locator('html').getAttribute('lang'), 'en', what);
    assert.deepEqual(await untranslated(page, keep), [], `${what}: Chinese left`);
    assert.deepEqual(await axeViolations(page), [], `${what}: serious or critical axe-core violations`);
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, `${what}: wider than the screen: ${JSON.stringify(overflow)}`);
  };

  await page.goto(yimen.url('/developers'));
  await page.locator('#credentials-link').click();
  await page.waitForURL((url) => url.pathname === '/sandbox/login');
  await clean('the picker without a system');
  // Level 2 acts for no organisation, so the sign-in goes straight back (an agent would choose first).
  await page.getByLabel(/沙箱二级/).check();
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/developers/credentials'),
    page.locator('button[type="submit"]').click(),
  ]);
  await clean('the credentials page');

  await page.locator('#redirect_uris').fill('http://127.0.0.1:3000/callback');
  await page.locator('#purpose').fill('Trying the sign-in before production');
  await clickToNewPage(page, page.locator('form[aria-labelledby="new-request"] button[type="submit"]'));
  assert.match(await page.locator('#client-secret').innerText(), /^[A-Za-z0-9_-]{40,}$/, 'the secret, at once');
  assert.match(await page.locator('#where').innerText(), /\/\.well-known\/openid-configuration$/);
  await clean('the credentials shown');
  await page.goto(yimen.url('/developers/credentials'));
  assert.equal(await page.locator('#client-secret').count(), 0, 'shown once: not on the next visit');
});
