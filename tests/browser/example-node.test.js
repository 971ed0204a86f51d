// The Node example (examples/node-openid-client, openid-client 6) against yimen, as a department
// developer would run it: sign in through yimen in Chromium, the ID token and UserInfo, refreshing the
// tokens, and logging out at yimen back to the example.

import assert from 'node:assert/strict';
import { freePort } from './lib/yimen.js';
import { scenario, signIn } from './lib/scenario.js';
import { start } from '../../examples/node-openid-client/app.js';

scenario('the Node example signs a citizen in, refreshes its tokens and signs out', async ({ yimen, citizen, page, t }) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const client = await yimen.addClient({
    name: '示例系统',
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/`,
    scope: 'openid profile',
  });
  const example = await start({
    issuer: yimen.issuer, clientId: client.client_id, clientSecret: client.client_secret, port, publicUrl: base,
  });
  t.after(() => example.close());

  await page.goto(`${base}/`);
  await page.locator('#login').click();
  await page.waitForURL((url) => url.origin === yimen.issuer && url.pathname === '/login');
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/consent');
  await Promise.all([
    page.waitForURL((url) => url.href === `${base}/`),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  assert.equal(await page.locator('#name').innerText(), citizen.name, 'UserInfo read by the example');
  assert.equal(await page.locator('#acr').innerText(), 'urn:yimen:loa:1', 'the ID token checked by openid-client');

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
