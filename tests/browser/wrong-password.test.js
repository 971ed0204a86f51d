// A wrong password: the error is announced (role=alert), tied to the account field, the typed account is
// kept and the password is not; the right password then works.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn } from './lib/scenario.js';

scenario('wrong password: error in a role=alert element, the typed account kept, then the right password works', async ({ yimen, rp, citizen, page }) => {
  const loginUrl = await openLoginFromRp(page, rp, yimen);
  assert.equal(await page.getByRole('alert').count(), 0, 'no alert before anything was submitted');

  const typed = citizen.idNumber.toLowerCase(); // people type the X in lower case
  await signIn(page, typed, 'not-the-password-1');

  assert.equal(new URL(page.url()).pathname, '/login', 'still on the login page');
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, 'exactly one element with role=alert');
  assert.ok(await alert.isVisible(), 'the alert is visible');
  assert.equal((await alert.innerText()).trim(), '账号或密码错误。', 'the alert says the account or password is wrong');

  const account = page.locator('#account');
  assert.equal(await account.inputValue(), typed, 'the typed account is kept');
  assert.equal(await page.locator('#password').inputValue(), '', 'the password is not sent back');
  assert.equal(await account.getAttribute('aria-invalid'), 'true', 'the account field is marked invalid');
  const alertId = await alert.getAttribute('id');
  assert.ok(alertId, 'the alert has an id');
  assert.ok((await account.getAttribute('aria-describedby') || '').split(/\s+/).includes(alertId),
    'the account field is described by the error message');

  // The form still belongs to the same sign-in request and works with the right password.
  assert.equal(await page.locator('input[name="rid"]').inputValue(), loginUrl.searchParams.get('rid'));
  await page.locator('#password').fill(citizen.password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/consent'),
    page.locator('form[action="/login"] button[type="submit"]').click(),
  ]);
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.redirectUri)),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  await page.locator('#rp-signed-in').waitFor();
  assert.equal(rp.lastLogin.userinfo.name, citizen.name);
});
