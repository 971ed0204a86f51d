// Issue 15's bar: a department system goes from nothing to a production sign-in with the developer pages
// only. The developer finds /developers, signs in with two factors and requests credentials for the
// system; the department's administrator, in another browser, approves on the console; the developer
// sees the secret once and runs the Node example with it; a citizen signs in to it; the system shows as
// connected on its department's page.

import assert from 'node:assert/strict';
import { freePort } from './lib/yimen.js';
import { launch } from './lib/browser.js';
import { scenario, signIn, secondFactor, clickToNewPage } from './lib/scenario.js';
import { walkExample } from './lib/example.js';
import { start } from '../../examples/node-openid-client/app.js';

const DEVELOPER = Object.freeze({ name: '王开发', idNumber: '440301199003071230', phone: '13912345678', password: 'lantern-quilt-harbour-7' });
const OFFICIAL = Object.freeze({ name: '李科长', idNumber: '350102198001010011', phone: '13700137000', password: 'lantern-quilt-harbour-5' });

scenario('a new system goes from nothing to a production sign-in with the developer pages', { timeout: 180_000 }, async ({ yimen, citizen, page, t }) => {
  await yimen.cli(['catalog', 'add-department', '--name', '市民政局']);
  await yimen.cli(['catalog', 'add-system', '--department', '市民政局', '--name', '婚姻登记系统']);
  const departmentId = (await yimen.cli(['catalog', 'departments'])).stdout.trim().split(/\s+/)[0];
  await yimen.addCitizen(DEVELOPER);
  await yimen.addCitizen(OFFICIAL);
  await yimen.cli(['role', 'grant', '--account', OFFICIAL.phone, '--role', 'department_admin', '--scope', departmentId]);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  // The developer: from the guide to a request.
  await page.goto(yimen.url('/developers'));
  await page.locator('#credentials-link').click();
  await page.waitForURL((url) => url.pathname === '/login');
  await signIn(page, DEVELOPER.phone, DEVELOPER.password);
  await secondFactor(page, yimen, DEVELOPER.phone);
  assert.equal(new URL(page.url()).pathname, '/developers/credentials');
  await page.locator('#redirect_uris').fill(`${base}/callback`);
  await page.locator('#post_logout_redirect_uris').fill(`${base}/`);
  await page.locator('#purpose').fill('婚姻登记系统接入统一身份认证');
  await clickToNewPage(page, page.locator('form[aria-labelledby="new-request"] button[type="submit"]'));
  assert.match(await page.locator('#flash').innerText(), /等待部门管理员审批/);

  // The department's administrator: the request on the console, approved.
  const official = await launch();
  t.after(() => official.close());
  const console = official.page;
  await console.goto(yimen.url(`/admin/catalog/departments/${departmentId}`));
  await console.waitForURL((url) => url.pathname === '/login');
  await signIn(console, OFFICIAL.phone, OFFICIAL.password);
  await secondFactor(console, yimen, OFFICIAL.phone);
  assert.match(await console.locator('.stage').innerText(), /等待部门审批/, 'the system waits for this department');
  await clickToNewPage(console, console.locator('form.request button[value="approve"]'));
  assert.equal(await console.locator('#client-secret').count(), 0, 'the administrator never sees the secret');

  // The developer: the secret once, into the example.
  await page.goto(yimen.url('/developers/credentials'));
  await clickToNewPage(page, page.locator('#requests button[type="submit"]'));
  const clientId = await page.locator('#client-id').innerText();
  const clientSecret = await page.locator('#client-secret').innerText();
  const example = await start({ issuer: yimen.issuer, clientId, clientSecret, port, publicUrl: base });
  t.after(() => example.close());

  // A citizen signs in to the new system, in a browser of their own.
  const citizenBrowser = await launch();
  t.after(() => citizenBrowser.close());
  await walkExample({ page: citizenBrowser.page, base, yimen, citizen });

  await console.goto(yimen.url(`/admin/catalog/departments/${departmentId}`));
  assert.match(await console.locator('main').innerText(), /已接入：首次登录/, 'connected by its first production sign-in');
});
