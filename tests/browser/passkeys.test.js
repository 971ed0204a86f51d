// Passkeys on a phone (360×740), with Chromium's virtual authenticator (a platform authenticator with
// user verification, driven over CDP): a citizen signed in with the password adds a passkey in the
// account centre, signs out, and signs in again with the passkey alone; the RP sees a passkey (swk/hwk)
// and multiple factors (mfa). Without a usable credential the login page says so in #passkey-error.
//
// yimen is browsed by its issuer name, http://localhost:PORT: WebAuthn needs a domain as RP ID.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn, allowConsent, backAtRp, signOut, clickToNewPage } from './lib/scenario.js';
import { PHONE, screenshot } from './lib/browser.js';
import { horizontalOverflow, unlabelledControls, axeViolations } from './lib/checks.js';
import { addVirtualAuthenticator } from './lib/webauthn.js';

const PASSKEY_NAME = '我的手机';

/** Password sign-in through the RP (with consent), then a passkey added at /account/passkeys. */
async function signInAndAddPasskey({ yimen, rp, citizen, page, context, t }, { shot = false } = {}) {
  const authenticator = await addVirtualAuthenticator(context, page);
  await openLoginFromRp(page, rp, yimen);
  assert.equal(new URL(page.url()).hostname, 'localhost', 'yimen is browsed by a domain name');
  await signIn(page, citizen.phone, citizen.password);
  await allowConsent(page, rp);
  assert.deepEqual(rp.lastLogin.claims.amr, ['pwd']);

  // Adding a passkey needs two factors: the password alone leads to the second-factor step first.
  await page.goto(yimen.url('/account/passkeys'));
  assert.equal(new URL(page.url()).pathname, '/login/second', 'a password alone does not add a passkey');
  assert.match(await page.locator('main').innerText(), /修改账号的登录方式前/, 'the page says why it asks');
  const seen = (await yimen.smsOutbox(citizen.phone)).length;
  await clickToNewPage(page, page.locator('form[action="/login/second/code"] button[type="submit"]'));
  const sms = await yimen.nextSms(citizen.phone, seen);
  await page.locator('#code').fill(sms.params.code);
  await clickToNewPage(page, page.locator('form[action="/login/second"] button[type="submit"]'));
  assert.equal(new URL(page.url()).pathname, '/account/passkeys', 'back at the passkeys page after the code');
  assert.equal(await page.locator('h1').innerText(), '通行密钥');
  assert.match(await page.locator('main').innerText(), /您还没有添加通行密钥/, 'no passkey yet');
  assert.doesNotMatch(await page.locator('main').innerText(), /本站点当前的地址不支持通行密钥/, 'passkeys are available on localhost');
  const nameField = page.locator('#passkey-name');
  assert.equal(await page.locator('label[for="passkey-name"]').innerText(), '通行密钥名称（可选）', 'the name field is labelled');
  await nameField.fill(PASSKEY_NAME);
  await page.locator('#passkey-add').click();
  // The page reloads with the passkey listed, or shows why not.
  const listed = page.locator('table tbody tr').filter({ hasText: PASSKEY_NAME });
  const failed = page.locator('#passkey-error:visible');
  await listed.or(failed).first().waitFor();
  if (await failed.count() > 0) assert.fail(`adding the passkey failed: ${await failed.innerText()}`);
  assert.equal(new URL(page.url()).pathname, '/account/passkeys');
  assert.equal(await listed.count(), 1, 'the new passkey is listed once, under its name');
  assert.equal((await page.getByRole('status').innerText()).trim(), '已添加通行密钥。下次可以直接用它登录。', 'the page confirms it');
  const notice = await yimen.nextSms(citizen.phone, seen + 1);
  assert.match(notice.text, /添加了通行密钥“我的手机”/, 'the phone is told about the new passkey');
  assert.match(await listed.innerText(), /从未使用/, 'not used yet');

  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
  assert.equal(credentials.length, 1, 'the authenticator holds one credential');
  assert.equal(credentials[0].rpId, 'localhost', 'for the RP ID localhost');
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential (a passkey)');
  if (shot) t.diagnostic(`screenshot: ${await screenshot(page, 'account-passkeys-360')}`);
  return { authenticator, credential: credentials[0], passwordLogin: rp.lastLogin };
}

/** On the login page: "用通行密钥登录". */
async function passkeyButton(page) {
  const button = page.locator('#passkey-login');
  await button.waitFor({ state: 'visible' });
  assert.equal(await button.innerText(), '用通行密钥登录');
  return button;
}

scenario('phone (360 px): add a passkey in the account centre (the list fits the screen), sign out, sign in with the passkey alone', { browser: PHONE }, async (ctx) => {
  const { yimen, rp, page } = ctx;
  const { passwordLogin } = await signInAndAddPasskey(ctx, { shot: true });
  // The list with one passkey, at 360 px: no sideways scrolling, every control labelled.
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= 360,
    `the passkeys page scrolls sideways at 360 px: scrollWidth ${overflow.scrollWidth}; widest elements: ${JSON.stringify(overflow.culprits)}`);
  assert.deepEqual(await unlabelledControls(page), [], 'every input on the passkeys page has a label');

  await signOut(page, yimen);
  await openLoginFromRp(page, rp, yimen);
  const button = await passkeyButton(page);
  assert.equal(await page.locator('#passkey-error').isVisible(), false, 'no passkey error before trying');
  await button.click();
  await backAtRp(page, rp); // consent was given at the password sign-in
  assert.equal(rp.errors.length, 0, `the RP reported errors: ${rp.errors.map((e) => e.error?.message)}`);
  assert.equal(rp.logins.length, 2);
  const { claims, userinfo } = rp.lastLogin;
  assert.ok(claims.amr.includes('swk') || claims.amr.includes('hwk'), `amr names a key: ${JSON.stringify(claims.amr)}`);
  assert.ok(claims.amr.includes('mfa'), `amr says multiple factors: ${JSON.stringify(claims.amr)}`);
  assert.ok(!claims.amr.includes('pwd'), `no password was used: ${JSON.stringify(claims.amr)}`);
  assert.equal(claims.sub, passwordLogin.claims.sub, 'the same person as with the password');
  assert.notEqual(claims.sid, passwordLogin.claims.sid, 'a new login session');
  assert.equal(userinfo.name, '张三');

  // The account centre now shows when the passkey was last used.
  await page.goto(yimen.url('/account/passkeys'));
  const row = page.locator('table tbody tr').filter({ hasText: PASSKEY_NAME });
  assert.equal(await row.count(), 1);
  assert.doesNotMatch(await row.innerText(), /从未使用/, 'the passkey is recorded as used');
});

scenario('phone (360 px): passkey sign-in without a usable credential shows #passkey-error, not a crash', { browser: { ...PHONE, bypassCSP: true } }, async (ctx) => {
  const { yimen, rp, page, citizen } = ctx;
  const { authenticator, credential } = await signInAndAddPasskey(ctx);

  /** Clicks "用通行密钥登录" and returns the error shown; the page must stay where it is. */
  async function failedPasskeyLogin(why) {
    const loginUrl = await openLoginFromRp(page, rp, yimen);
    const button = await passkeyButton(page);
    await button.click();
    const error = page.locator('#passkey-error');
    await error.waitFor({ state: 'visible' });
    const message = (await error.innerText()).trim();
    assert.match(message, /^通行密钥验证没有完成，请重试或改用其他方式登录。/, `${why}: the error says the passkey did not work: "${message}"`);
    assert.equal(await error.getAttribute('role'), 'alert', 'the error is announced');
    assert.equal(page.url(), loginUrl.href, `${why}: still on the same login page`);
    assert.equal(await button.isEnabled(), true, `${why}: the passkey button can be used again`);
    assert.ok(await page.locator('#password').isVisible(), `${why}: the password form is still there`);
    assert.equal(rp.logins.length, 1, `${why}: no sign-in`);
    return message;
  }

  // 1. The passkey is removed in the account centre, but the phone still offers it: yimen refuses it.
  // Removing asks first; "keep it" keeps it.
  const row = page.locator('table tbody tr').filter({ hasText: PASSKEY_NAME });
  await clickToNewPage(page, row.locator('button[name="action"][value="remove"]'));
  const question = page.getByRole('alertdialog');
  assert.equal(await question.locator('h2').innerText(), `删除通行密钥“${PASSKEY_NAME}”？`, 'removal asks first, naming the passkey');
  assert.deepEqual(await axeViolations(page), [], 'axe-core: none on the removal question');
  await clickToNewPage(page, question.getByRole('link', { name: '不删除' }));
  assert.equal(await page.locator('table tbody tr').filter({ hasText: PASSKEY_NAME }).count(), 1, 'not removed without confirmation');
  await clickToNewPage(page, row.locator('button[name="action"][value="remove"]'));
  await clickToNewPage(page, page.getByRole('alertdialog').getByRole('button', { name: '确认删除' }));
  assert.equal(await page.getByRole('status').innerText(), '通行密钥已删除。', 'the removal is confirmed');
  assert.equal(await page.locator('table tbody tr').filter({ hasText: PASSKEY_NAME }).count(), 0, 'the passkey is no longer listed');
  await signOut(page, yimen);
  ctx.t.diagnostic(`passkey removed at yimen: ${await failedPasskeyLogin('a passkey yimen no longer knows')}`);

  // 2. The device has no passkey for this site any more.
  await authenticator.cdp.send('WebAuthn.removeCredential', {
    authenticatorId: authenticator.authenticatorId,
    credentialId: credential.credentialId,
  });
  ctx.t.diagnostic(`no credential on the device: ${await failedPasskeyLogin('no passkey on the device')}`);

  // The password still works from here.
  await signIn(page, citizen.phone, citizen.password);
  await backAtRp(page, rp);
  assert.equal(rp.logins.length, 2);
});

scenario('passkey error on a Chinese page is all Chinese', {
  browser: PHONE,
}, async (ctx) => {
  const { yimen, rp, page } = ctx;
  await signInAndAddPasskey(ctx);
  const row = page.locator('table tbody tr').filter({ hasText: PASSKEY_NAME });
  await clickToNewPage(page, row.locator('button[name="action"][value="remove"]'));
  await clickToNewPage(page, page.getByRole('alertdialog').getByRole('button', { name: '确认删除' }));
  await signOut(page, yimen);
  await openLoginFromRp(page, rp, yimen);
  await (await passkeyButton(page)).click();
  const error = page.locator('#passkey-error');
  await error.waitFor({ state: 'visible' });
  const message = (await error.innerText()).trim();
  assert.doesNotMatch(message, /[A-Za-z]{3,}/, `the passkey error on a Chinese page is Chinese: "${message}"`);
});
