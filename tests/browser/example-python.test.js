// The Python example (examples/python-authlib, Authlib with Flask) against yimen, as a department
// developer would run it: sign in through yimen in Chromium, the ID token and UserInfo, refreshing the
// tokens, and logging out at yimen back to the example.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, freePort } from './lib/yimen.js';
import { startPythonFor } from './lib/python.js';
import { scenario, signIn } from './lib/scenario.js';

scenario('the Python example signs a citizen in, refreshes its tokens and signs out', async ({ yimen, citizen, page, t }) => {
  // The example's address must be registered before it starts; a port is chosen for it, and it is told.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const client = await yimen.addClient({
    name: '示例系统',
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/`,
    scope: 'openid profile',
  });
  const example = await startPythonFor(t, join(REPO_ROOT, 'examples', 'python-authlib', 'app.py'), {
    YIMEN_ISSUER: yimen.issuer, CLIENT_ID: client.client_id, CLIENT_SECRET: client.client_secret,
  }, port);
  assert.equal(example.url, base);

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
  assert.equal(failure, '', `the example failed:\n${example.output()}`);
  assert.equal(await page.locator('#name').innerText(), citizen.name, 'UserInfo read by Authlib');
  assert.equal(await page.locator('#acr').innerText(), 'urn:yimen:loa:1', 'the ID token checked by Authlib');

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
});
