// The walk every example system (examples/*) is held to in CI: its sign-in link to yimen, the citizen's
// sign-in and consent, the name from UserInfo and the acr from the checked ID token on its page, a token
// refresh, and a logout that ends the session at yimen too. The examples share the page ids it uses.

import assert from 'node:assert/strict';
import { signIn } from './scenario.js';

/** Walks the example at `base` with `citizen`; `output()` is the example's log, for failure messages. */
export async function walkExample({ page, base, yimen, citizen, output = () => '' }) {
  await page.goto(`${base}/`);
  await page.locator('#login').click();
  await page.waitForURL((url) => url.origin === yimen.issuer && url.pathname === '/login');
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/consent');
  await Promise.all([
    page.waitForURL((url) => url.href === `${base}/`),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  const failure = await page.locator('#failure').count() ? await page.locator('#failure').innerText() : '';
  assert.equal(failure, '', `the example failed:\n${output()}`);
  assert.equal(await page.locator('#name').innerText(), citizen.name, 'UserInfo read by the example');
  assert.equal(await page.locator('#acr').innerText(), 'urn:yimen:loa:1', 'the ID token checked by the example');

  await page.locator('#refresh').click();
  await page.locator('#refreshed').waitFor();

  await page.goto(`${base}/`);
  await Promise.all([
    page.waitForURL((url) => url.href === `${base}/`),
    page.locator('#logout').click(),
  ]);
  await page.locator('#signed-out').waitFor();
  await page.goto(yimen.url('/'));
  assert.match(await page.locator('main').innerText(), /您尚未登录/, 'signed out at yimen too');
}
