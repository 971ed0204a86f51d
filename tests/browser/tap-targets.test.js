// Tap targets on a phone (360 px): every button, field and stand-alone link of the pages a citizen meets
// is at least 44 × 44 px. Guards a fixed problem: "register", "forgot password", "back to sign-in", the
// language switch and the account menu were 19–26 px tall, table buttons 36 px.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn, clickToNewPage } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { smallTapTargets, horizontalOverflow } from './lib/checks.js';

scenario('phone (360 px): every interactive element of the citizen pages is at least 44 × 44 px, and nothing scrolls sideways', { browser: PHONE }, async ({ yimen, rp, citizen, page }) => {
  const problems = {};
  const check = async (what) => {
    const small = await smallTapTargets(page);
    if (small.length) problems[what] = small;
    const overflow = await horizontalOverflow(page);
    if (overflow.scrollWidth > 360) problems[`${what}: scrolls sideways`] = overflow.culprits;
  };
  await openLoginFromRp(page, rp, yimen);
  await check('login');
  await clickToNewPage(page, page.locator('a[href^="/register"]'));
  await check('register');
  await page.goto(yimen.url('/password/reset'));
  await check('password reset');
  await page.goto(yimen.url('/login/sms'));
  await page.locator('#phone').fill(citizen.phone);
  await clickToNewPage(page, page.locator('form[action="/login/sms/code"] button[type="submit"]'));
  await check('SMS code step');
  await page.goto(yimen.url('/login?next=%2Faccount'));
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/account');
  await check('account');
  for (const path of ['/account/sessions', '/account/connections', '/account/history', '/account/data']) {
    await page.goto(yimen.url(path));
    if (new URL(page.url()).pathname === path) await check(path);
  }
  await page.goto(yimen.url('/logout'));
  await check('logout question');
  assert.deepEqual(problems, {}, 'tap targets under 44 × 44 px');
});
