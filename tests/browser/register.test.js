// Self-registration on a phone (360×740): from the RP's login link a new citizen follows "注册新账号",
// proves the phone with the SMS code (read from yimen's development outbox), gives name, ID document and
// password, and arrives at the RP signed in. A wrong ID check digit is refused in a role=alert element
// and the typed name is kept.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, allowConsent, backAtRp, signIn, clickToNewPage } from './lib/scenario.js';
import { PHONE, screenshot } from './lib/browser.js';
import { horizontalOverflow, unlabelledControls } from './lib/checks.js';

// A new citizen: an ID number that passes GB 11643 and differs from the seeded 张三's.
const NEWCOMER = Object.freeze({
  name: '李四',
  phone: '13912345678',
  idNumber: '440301199003071230',
  wrongCheckDigit: '440301199003071231',
  password: 'lantern-quilt-harbour-7',
});

/** From the login page to the registration page's code stage; returns the code sent by SMS. */
async function startRegistration(page, rp, yimen) {
  const loginUrl = await openLoginFromRp(page, rp, yimen);
  const link = page.getByRole('link', { name: '注册新账号', exact: true });
  assert.equal(await link.count(), 1, 'the login page has one "注册新账号" link');
  const href = new URL(await link.getAttribute('href'), loginUrl);
  assert.equal(href.pathname, '/register');
  assert.equal(href.searchParams.get('rid'), loginUrl.searchParams.get('rid'), 'the link keeps the sign-in request');
  await Promise.all([page.waitForURL((url) => url.pathname === '/register'), link.click()]);
  assert.equal(new URL(page.url()).searchParams.get('rid'), loginUrl.searchParams.get('rid'));
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.equal(await page.locator('h1').innerText(), '注册账号');
  assert.equal(await page.locator('#code').count(), 0, 'no code field before a code was sent');

  const seen = (await yimen.smsOutbox(NEWCOMER.phone)).length;
  await page.locator('#phone').fill(NEWCOMER.phone);
  await clickToNewPage(page, page.getByRole('button', { name: '发送验证码', exact: true }));
  const sms = await yimen.nextSms(NEWCOMER.phone, seen);
  assert.equal(sms.template, 'one_time_code');
  assert.match(sms.params.code, /^[0-9]{6}$/, `a six-digit code: ${JSON.stringify(sms)}`);
  assert.equal(sms.params.action, '注册账号', 'the SMS says what the code is for');
  assert.ok(sms.text.includes(sms.params.code), 'the text carries the code');
  await page.locator('#code').waitFor({ state: 'visible' });
  const status = page.getByRole('status');
  assert.match(await status.innerText(), /验证码已发送至 139\*+5678/, 'the page says where the code went (masked)');
  return { loginUrl, code: sms.params.code };
}

async function fillDetails(page, { code, name, documentNumber, password }) {
  await page.locator('#code').fill(code);
  await page.locator('#name').fill(name);
  await page.locator('#document_type').selectOption('resident_id');
  await page.locator('#document_number').fill(documentNumber);
  await page.locator('#password').fill(password);
  await page.locator('#password2').fill(password);
}

const submitRegistration = (page) => clickToNewPage(page, page.locator('form[action="/register"] button[type="submit"]'));

scenario('phone (360 px): registration through the RP with an SMS code; a wrong ID check digit is refused', { browser: PHONE }, async ({ yimen, rp, client, page, t }) => {
  const { code } = await startRegistration(page, rp, yimen);

  // The full form at 360 px: no sideways scrolling, every control labelled.
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= 360,
    `registration page scrolls sideways at 360 px: scrollWidth ${overflow.scrollWidth}; ${JSON.stringify(overflow.culprits)}`);
  assert.deepEqual(await unlabelledControls(page), [], 'every input on the registration page has a label');
  assert.deepEqual(
    await page.locator('#document_type option').evaluateAll((options) => options.map((o) => o.value)).then((v) => v.includes('resident_id')),
    true, 'resident ID is one of the document types');
  t.diagnostic(`screenshot: ${await screenshot(page, 'register-360')}`);

  // A mistyped check digit: refused before anything is created, the name kept.
  await fillDetails(page, { code, name: NEWCOMER.name, documentNumber: NEWCOMER.wrongCheckDigit, password: NEWCOMER.password });
  await submitRegistration(page);
  assert.equal(new URL(page.url()).pathname, '/register', 'still on the registration page');
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, 'exactly one element with role=alert');
  assert.ok(await alert.isVisible(), 'the alert is visible');
  assert.match(await alert.innerText(), /^证件号码不正确/, 'the alert says the document number is wrong');
  assert.equal(await page.locator('#name').inputValue(), NEWCOMER.name, 'the typed name is kept');
  assert.equal(await page.locator('#document_number').inputValue(), NEWCOMER.wrongCheckDigit, 'the typed number is kept to be corrected');
  assert.equal(await page.locator('#password').inputValue(), '', 'the password is not sent back');
  assert.equal(rp.logins.length, 0);

  // Corrected: the same code still works (nothing was checked against it), and the RP gets the person.
  await fillDetails(page, { code, name: NEWCOMER.name, documentNumber: NEWCOMER.idNumber, password: NEWCOMER.password });
  await submitRegistration(page);
  await allowConsent(page, rp);
  assert.equal(rp.errors.length, 0, `the RP reported errors: ${rp.errors.map((e) => e.error?.message)}`);
  assert.equal(rp.logins.length, 1, 'the RP completed one sign-in');
  const { claims, userinfo } = rp.lastLogin;
  assert.equal(claims.iss, yimen.issuer);
  assert.ok([].concat(claims.aud).includes(client.client_id));
  assert.deepEqual(claims.amr, ['sms'], 'the new account was proven by the SMS code');
  assert.equal(userinfo.sub, claims.sub);
  assert.equal(userinfo.name, NEWCOMER.name, 'UserInfo has the registered name');
  assert.equal(userinfo.phone_number, `+86${NEWCOMER.phone}`, 'UserInfo has the verified phone');
  assert.equal(userinfo.phone_number_verified, true);

  // The password chosen at registration signs the new citizen in again, as the same subject.
  await page.goto(rp.logoutUrl);
  await page.locator('#rp-signed-out').waitFor();
  await openLoginFromRp(page, rp, yimen);
  await signIn(page, NEWCOMER.phone, NEWCOMER.password);
  await backAtRp(page, rp);
  assert.equal(rp.logins.length, 2);
  assert.equal(rp.lastLogin.claims.sub, claims.sub, 'the same account signs in with its password');
  assert.deepEqual(rp.lastLogin.claims.amr, ['pwd']);
});

scenario('registration refusal: the reason is in Chinese and the document-number field points at it', {
  browser: PHONE,
}, async ({ yimen, rp, page }) => {
  const { code } = await startRegistration(page, rp, yimen);
  await fillDetails(page, { code, name: NEWCOMER.name, documentNumber: NEWCOMER.wrongCheckDigit, password: NEWCOMER.password });
  await submitRegistration(page);
  const alert = page.getByRole('alert');
  const text = (await alert.innerText()).trim();
  const field = page.locator('#document_number');
  const alertId = await alert.getAttribute('id');
  const describedBy = await field.getAttribute('aria-describedby') || '';
  const problems = [];
  if (/[A-Za-z]{3,}/.test(text)) problems.push(`the refusal on a Chinese page is partly English: "${text}"`);
  if (await field.getAttribute('aria-invalid') !== 'true') problems.push('#document_number is not aria-invalid="true"');
  if (!alertId || !describedBy.split(/\s+/).includes(alertId)) {
    problems.push(`#document_number is not described by the alert (alert id "${alertId}", aria-describedby "${describedBy}")`);
  }
  assert.deepEqual(problems, []);
});

// Passwords that differ: the error is at the second password field, focus goes there, the ID number is
// not marked, and everything typed except the passwords is kept. Guards a fixed bug: every error marked the
// ID field invalid and left the focus at the top of the page.
scenario('registration: an error is shown at its own field, which gets the focus', {
  browser: PHONE,
}, async ({ yimen, rp, page }) => {
  const { code } = await startRegistration(page, rp, yimen);
  await fillDetails(page, { code, name: NEWCOMER.name, documentNumber: NEWCOMER.idNumber, password: NEWCOMER.password });
  await page.locator('#password2').fill(`${NEWCOMER.password}x`);
  await submitRegistration(page);
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, 'one error');
  assert.equal((await alert.innerText()).trim(), '两次输入的密码不一致。');
  assert.equal(await alert.getAttribute('id'), 'password2-error', 'shown at the second password field');
  const second = page.locator('#password2');
  assert.equal(await second.getAttribute('aria-invalid'), 'true');
  assert.equal(await second.getAttribute('aria-describedby'), 'password2-error');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'password2', 'the focus is on the field in error');
  assert.equal(await page.locator('#document_number').getAttribute('aria-invalid'), null, 'the ID number is not marked');
  assert.equal(await page.locator('#document_number').inputValue(), NEWCOMER.idNumber, 'the ID number is kept');
  assert.equal(await page.locator('#name').inputValue(), NEWCOMER.name, 'the name is kept');
  assert.equal(await page.locator('#code').inputValue(), code, 'the code is kept');
  assert.equal(await page.locator('#password').inputValue(), '', 'passwords are not sent back');
  assert.equal(rp.logins.length, 0);
});
