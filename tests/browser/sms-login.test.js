// Signing in with an SMS code on a phone (360×740): from the login page "用短信验证码登录", the number,
// "发送验证码", the code from yimen's development outbox. A wrong code is refused with the attempts left.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, allowConsent, clickToNewPage } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { horizontalOverflow, unlabelledControls } from './lib/checks.js';

scenario('phone (360 px): SMS-code sign-in through the RP; a wrong code says how many attempts are left', { browser: PHONE }, async ({ yimen, rp, citizen, page, t }) => {
  const loginUrl = await openLoginFromRp(page, rp, yimen);
  const link = page.getByRole('link', { name: '用短信验证码登录', exact: true });
  assert.equal(await link.count(), 1, 'the login page offers the SMS sign-in');
  await clickToNewPage(page, link);
  assert.equal(new URL(page.url()).pathname, '/login/sms');
  assert.equal(new URL(page.url()).searchParams.get('rid'), loginUrl.searchParams.get('rid'), 'the link keeps the sign-in request');
  assert.equal(await page.locator('h1').innerText(), '短信验证码登录');
  assert.match(await page.locator('main').innerText(), /社保查询系统/, 'the page names the system being signed in to');
  assert.equal(await page.locator('#code').count(), 0, 'no code field before a code was sent');

  const seen = (await yimen.smsOutbox(citizen.phone)).length;
  await page.locator('#phone').fill(citizen.phone);
  await clickToNewPage(page, page.getByRole('button', { name: '发送验证码', exact: true }));
  const sms = await yimen.nextSms(citizen.phone, seen);
  const code = sms.params?.code;
  assert.match(code ?? '', /^[0-9]{6}$/, `the SMS carries a six-digit code: ${JSON.stringify(sms)}`);
  assert.equal(sms.template, 'one_time_code');
  await page.locator('#code').waitFor({ state: 'visible' });
  // The notice must not reveal whether the number has an account.
  assert.match(await page.getByRole('status').innerText(), /如果该手机号已注册，验证码已发送至 138\*+8000/);
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= 360,
    `SMS sign-in page scrolls sideways at 360 px: scrollWidth ${overflow.scrollWidth}; ${JSON.stringify(overflow.culprits)}`);
  assert.deepEqual(await unlabelledControls(page), [], 'every input on the SMS sign-in page has a label');

  // A wrong code: refused, with the attempts left, announced and tied to the code field.
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const submit = page.locator('form[action="/login/sms"] button[type="submit"]');
  await page.locator('#code').fill(wrong);
  await clickToNewPage(page, submit);
  assert.equal(new URL(page.url()).pathname, '/login/sms', 'still on the SMS sign-in page');
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, 'exactly one element with role=alert');
  assert.ok(await alert.isVisible(), 'the alert is visible');
  const message = (await alert.innerText()).trim();
  const match = message.match(/^验证码不正确，还可以再试 (\d+) 次。$/);
  assert.ok(match, `the alert says the code is wrong and how many attempts are left: "${message}"`);
  const remaining = Number(match[1]);
  assert.ok(remaining >= 1, `at least one attempt left after the first mistake (${remaining})`);
  const codeField = page.locator('#code');
  assert.equal(await codeField.getAttribute('aria-invalid'), 'true', 'the code field is marked invalid');
  assert.ok((await codeField.getAttribute('aria-describedby') || '').split(/\s+/).includes(await alert.getAttribute('id')),
    'the code field is described by the error');
  assert.equal(rp.logins.length, 0, 'no sign-in with a wrong code');

  // A second mistake counts down.
  await page.locator('#code').fill(wrong);
  await clickToNewPage(page, submit);
  assert.equal((await page.getByRole('alert').innerText()).trim(), `验证码不正确，还可以再试 ${remaining - 1} 次。`,
    'each wrong code uses up an attempt');

  // The right code, still valid, signs in. After two mistakes yimen makes the next attempt wait (growing
  // delays against guessing) and says for how long; a person waits that long and tries again.
  await page.locator('#code').fill(code);
  await clickToNewPage(page, submit);
  if (new URL(page.url()).pathname === '/login/sms') {
    const wait = (await page.getByRole('alert').innerText()).trim();
    const seconds = wait.match(/^尝试过于频繁，请 (\d+) 秒后再试。$/);
    assert.ok(seconds, `the right code was refused for another reason than a wait: "${wait}"`);
    assert.ok(Number(seconds[1]) <= 5, `a short wait after two mistakes (${seconds[1]} s)`);
    t.diagnostic(`the right code after two wrong ones: "${wait}"`);
    await new Promise((done) => setTimeout(done, Number(seconds[1]) * 1000 + 300));
    await page.locator('#code').fill(code);
    await submit.click();
  }
  await allowConsent(page, rp);
  assert.equal(rp.errors.length, 0, `the RP reported errors: ${rp.errors.map((e) => e.error?.message)}`);
  assert.equal(rp.logins.length, 1);
  const { claims, userinfo } = rp.lastLogin;
  assert.deepEqual(claims.amr, ['sms'], 'the ID token says an SMS code was used');
  assert.equal(userinfo.name, citizen.name);
  assert.equal(userinfo.phone_number, `+86${citizen.phone}`);
});

// A mistyped number is not a dead end: the code step names the number, "更换手机号" brings back the
// number step with what was typed, and "重新发送" counts down the wait before it can be used. Walked in
// Chinese and in English (ui_locales=en from the RP), on a phone.
for (const lang of [
  { query: '', change: '更换手机号', sendCode: '发送验证码', countdown: /^重新发送（\d+ 秒）$/, codeTo: '手机号：' },
  { query: '?ui_locales=en', change: 'Change number', sendCode: 'Send a code', countdown: /^Send again \(\d+ s\)$/, codeTo: 'Phone number:' },
]) {
  scenario(`phone (360 px, ${lang.query ? 'English' : 'Chinese'}): a mistyped number is changed at the code step, then the sign-in finishes`, { browser: PHONE }, async ({ yimen, rp, citizen, page }) => {
    await openLoginFromRp(page, rp, yimen, lang.query);
    await clickToNewPage(page, page.locator('a[href^="/login/sms"]'));
    const typo = '13900139000';
    await page.locator('#phone').fill(typo);
    await clickToNewPage(page, page.getByRole('button', { name: lang.sendCode, exact: true }));
    assert.equal(await page.locator('#code-phone').innerText(), typo, 'the code step shows the number as typed');
    assert.match(await page.locator('.phone-line').innerText(), new RegExp(lang.codeTo));
    const resend = page.locator('button#resend');
    assert.ok(await resend.isDisabled(), 'the resend button waits');
    assert.match((await resend.innerText()).trim(), lang.countdown, 'and shows its countdown');
    const change = page.getByRole('button', { name: lang.change, exact: true });
    const box = await change.boundingBox();
    assert.ok(box.height >= 44, `the change button is a 44 px tap target (${box.height})`);

    await clickToNewPage(page, change);
    assert.equal(await page.locator('#phone').inputValue(), typo, 'the number step comes back with the number as typed');
    assert.equal(await page.locator('#code').count(), 0, 'and without the code field');
    const seen = (await yimen.smsOutbox(citizen.phone)).length;
    await page.locator('#phone').fill(citizen.phone);
    await clickToNewPage(page, page.getByRole('button', { name: lang.sendCode, exact: true }));
    const sms = await yimen.nextSms(citizen.phone, seen);
    assert.equal(await page.locator('#code-phone').innerText(), citizen.phone);
    await page.locator('#code').fill(sms.params.code);
    await clickToNewPage(page, page.locator('form[action="/login/sms"] button[type="submit"]'));
    await allowConsent(page, rp);
    assert.equal(rp.logins.length, 1, 'signed in with the corrected number');
  });
}

// A forgotten password, reset from the sign-in page of a system: after the new password the person is told
// what happened (signed in, other devices signed out) before going on to the system.
scenario('phone (360 px): a forgotten password is reset by SMS, the page says so, then the sign-in continues', { browser: PHONE }, async ({ yimen, rp, citizen, page }) => {
  await openLoginFromRp(page, rp, yimen);
  await clickToNewPage(page, page.getByRole('link', { name: '忘记密码', exact: true }));
  assert.equal(await page.locator('h1').innerText(), '重设密码');
  const seen = (await yimen.smsOutbox(citizen.phone)).length;
  await page.locator('#phone').fill(citizen.phone);
  await clickToNewPage(page, page.getByRole('button', { name: '发送验证码', exact: true }));
  const sms = await yimen.nextSms(citizen.phone, seen);
  await page.locator('#code').fill(sms.params.code);
  await page.locator('#password').fill('quiet-river-stone-88');
  await page.locator('#password2').fill('quiet-river-stone-88');
  await clickToNewPage(page, page.getByRole('button', { name: '重设密码并登录', exact: true }));
  assert.equal(await page.locator('h1').innerText(), '密码已重置', 'the reset is confirmed');
  assert.match(await page.getByRole('status').innerText(), /其他设备上的登录已全部退出/);
  const go = page.getByRole('link', { name: '继续登录原系统', exact: true });
  assert.equal(await go.count(), 1, 'one way on, to the system being signed in to');
  await go.click();
  await allowConsent(page, rp);
  assert.equal(rp.logins.length, 1, 'the sign-in finished with the new password');
});
