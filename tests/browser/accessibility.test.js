// axe-core on the page states this session added or changed, on a phone: no serious or critical WCAG 2.1
// AA violation. Each state is reached the way a person reaches it.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn, clickToNewPage } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { axeViolations } from './lib/checks.js';

scenario('axe-core: the SMS steps, a registration error, my data and the logged-out page have no serious violation', {
  browser: { ...PHONE, bypassCSP: true },
}, async ({ yimen, rp, citizen, page }) => {
  const problems = {};
  const check = async (what) => {
    const found = await axeViolations(page);
    if (found.length) problems[what] = found;
  };

  await openLoginFromRp(page, rp, yimen);
  await check('login');
  await clickToNewPage(page, page.locator('a[href^="/login/sms"]'));
  await page.locator('#phone').fill('13900139000');
  await clickToNewPage(page, page.locator('form[action="/login/sms/code"] button[type="submit"]'));
  await check('SMS code step with "change number" and the countdown');
  await page.locator('#code').fill('000000');
  await clickToNewPage(page, page.locator('form[action="/login/sms"] button[type="submit"]'));
  await check('SMS code step after a wrong code');

  await page.goto(yimen.url('/register'));
  await page.locator('#phone').fill('1390013900');
  await clickToNewPage(page, page.locator('form[action="/register/code"] button[type="submit"]'));
  await check('registration: a number refused at its field');

  await page.goto(yimen.url('/login?next=%2Faccount%2Fdata'));
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/account/data');
  await check('my data');

  await page.goto(yimen.url('/logout'));
  await check('the logout question');
  await clickToNewPage(page, page.locator('button[name="decision"][value="logout"]'));
  await check('logged out');

  assert.deepEqual(problems, {}, 'serious or critical axe-core violations');
});
