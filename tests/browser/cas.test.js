// Legacy systems over CAS 3.0, with CAS clients from the registries in a real browser: python-cas (PyPI)
// in a small Python system, with single logout, and cas-authentication (npm) on Express. Each is
// registered with `yimen client add --cas-service`, signs the citizen in through yimen's own login and
// consent pages, validates its ticket, and reads the attributes its scopes release.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, freePort } from './lib/yimen.js';
import { startPythonFor } from './lib/python.js';
import { startLegacyCas } from './lib/legacy-cas.js';
import { scenario, signIn } from './lib/scenario.js';

async function signInAndConsent(page, yimen, citizen, back) {
  await page.waitForURL((url) => url.origin === yimen.issuer && url.pathname === '/login');
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/consent');
  await Promise.all([page.waitForURL(back), page.locator('button[name="decision"][value="allow"]').click()]);
}

scenario('a Python system with python-cas signs a citizen in over CAS and hears of the logout', async ({ yimen, citizen, page, t }) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await yimen.addCasService({ service: `${base}/*`, scope: 'openid profile' });
  const legacy = await startPythonFor(t, join(REPO_ROOT, 'tests', 'browser', 'lib', 'legacy_cas.py'), {
    CAS_SERVER: yimen.url('/cas/'),
  }, port);

  await page.goto(`${base}/`);
  await page.locator('#login').click();
  await signInAndConsent(page, yimen, citizen, (url) => url.href === `${base}/`);
  assert.equal(await page.locator('#failure').count(), 0, legacy.output());
  assert.equal(await page.locator('#name').innerText(), citizen.name, 'python-cas read the name attribute');
  assert.equal(await page.locator('#acr').innerText(), 'urn:yimen:loa:1');
  assert.match(await page.locator('#user').innerText(), /^[A-Za-z0-9_-]{20,}$/, 'the user is the system\'s own subject');
  await page.goto(`${base}/validate-again`);
  assert.equal(await page.locator('#again').innerText(), 'refused', 'a ticket validates once, as python-cas sees it');

  // Logging out at yimen (here from yimen's own account page) ends the system's session too.
  await page.goto(yimen.url('/logout'));
  await Promise.all([page.waitForLoadState(), page.locator('button[name="decision"][value="logout"]').click()]);
  for (let i = 0; i < 100; i += 1) {
    await page.goto(`${base}/`);
    if (await page.locator('#signed-out').count()) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  await page.locator('#signed-out').waitFor();
  assert.equal(await page.locator('#ended').innerText(), '1', 'one SAML LogoutRequest, for its ticket');
});

scenario('an Express system with cas-authentication signs a citizen in over CAS and logs out at yimen', async ({ yimen, citizen, page, t }) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await yimen.addCasService({ name: '公积金查询（旧系统）', service: `${base}/app`, scope: 'openid profile' });
  const legacy = await startLegacyCas({ casUrl: yimen.url('/cas'), port });
  t.after(() => legacy.close());

  await page.goto(`${base}/app`);
  assert.match(await page.locator('main').innerText(), /公积金查询/, 'the login page names the system');
  await signInAndConsent(page, yimen, citizen, (url) => url.href === `${base}/app`);
  assert.equal(await page.locator('#name').innerText(), citizen.name, 'cas-authentication read the name attribute');
  assert.equal(await page.locator('#acr').innerText(), 'urn:yimen:loa:1');

  await page.locator('#logout').click();
  await page.waitForURL((url) => url.origin === yimen.issuer && url.pathname === '/cas/logout');
  await Promise.all([page.waitForLoadState(), page.locator('button[name="decision"][value="logout"]').click()]);
  await page.goto(yimen.url('/'));
  assert.match(await page.locator('main').innerText(), /您尚未登录/, 'signed out at yimen');
  await page.goto(`${base}/app`);
  await page.waitForURL((url) => url.origin === yimen.issuer && url.pathname === '/login');
});
