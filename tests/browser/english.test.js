// The journeys of issue 12 walked in English: a browser that asks for English gets every page state in
// English (no Chinese left but the data: names of people, systems and halls), and axe-core finds no
// serious or critical violation on any of them. The Chinese walk-throughs are the other files; these
// use the pages' structure (form actions, ids) rather than their words, so that the words can be checked.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scenario, openLoginFromRp, signIn, allowConsent, backAtRp, clickToNewPage, toNewPage, secondFactor } from './lib/scenario.js';
import { launch, PHONE } from './lib/browser.js';
import { startRpFor } from './lib/rp.js';
import { axeViolations, untranslated, unstyledControls } from './lib/checks.js';
import { addVirtualAuthenticator } from './lib/webauthn.js';

const ENGLISH = Object.freeze({ locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' }, bypassCSP: true });

const NEWCOMER = Object.freeze({
  name: '李四',
  phone: '13912345678',
  mistyped: '13912345670',
  idNumber: '440301199003071230',
  password: 'lantern-quilt-harbour-7',
});

/**
 * Records, for each page state it is called on, what is wrong with it in English: the page language,
 * Chinese text outside the data in `keep`, and axe-core's serious violations. `assertClean` fails with
 * all of them at once, so one run shows every untranslated page.
 */
function englishChecker(keep) {
  const problems = {};
  return {
    async check(page, what) {
      const found = [];
      const lang = await page.locator('html').getAttribute('lang');
      if (lang !== 'en') found.push(`html lang is ${lang}`);
      found.push(...(await untranslated(page, keep)).map((text) => `Chinese: ${text}`));
      found.push(...(await axeViolations(page)).map((rule) => `axe: ${rule}`));
      if (found.length) problems[`${what} (${new URL(page.url()).pathname})`] = found;
    },
    assertClean() {
      // The assertion's diff shortens long lists; the whole list goes to stderr.
      if (Object.keys(problems).length) console.error(JSON.stringify(problems, null, 1));
      assert.deepEqual(problems, {}, 'page states that are not all English or not accessible');
    },
  };
}

/** Sends a code from a code step's first form and returns it, read from the development outbox. */
async function sendCode(page, yimen, formAction, phone) {
  const seen = (await yimen.smsOutbox(phone)).length;
  await page.locator('#phone').fill(phone);
  await clickToNewPage(page, page.locator(`form[action="${formAction}"] button[type="submit"]`).first());
  return (await yimen.nextSms(phone, seen)).params.code;
}

/** The second factor by SMS, on /login/second. */
scenario('English, phone (360 px): register with a corrected number and a password typo, the account centre, a passkey added and removed, sign-out, a reset password', {
  browser: { ...PHONE, ...ENGLISH },
  seed: false,
  timeout: 180_000,
}, async ({ yimen, rp, client, page, context }) => {
  const { check, assertClean } = englishChecker([NEWCOMER.name, '社保查询系统', '我的手机']);
  const authenticator = await addVirtualAuthenticator(context, page);

  await openLoginFromRp(page, rp, yimen);
  await check(page, 'sign-in');
  await clickToNewPage(page, page.locator('a[href^="/register"]'));
  await check(page, 'registration, first step');

  // A mistyped number is corrected at the code step.
  await sendCode(page, yimen, '/register/code', NEWCOMER.mistyped);
  await check(page, 'registration, code step');
  await clickToNewPage(page, page.locator('#change-phone'));
  assert.equal(await page.locator('#phone').inputValue(), NEWCOMER.mistyped, 'the number comes back to be corrected');
  const code = await sendCode(page, yimen, '/register/code', NEWCOMER.phone);
  assert.match(await page.locator('.phone-line').innerText(), /5678/, 'the code step shows the corrected number');

  // Two passwords that differ: the error is at the second one; the rest is kept.
  await page.locator('#code').fill(code);
  await page.locator('#name').fill(NEWCOMER.name);
  await page.locator('#document_type').selectOption('resident_id');
  await page.locator('#document_number').fill(NEWCOMER.idNumber);
  await page.locator('#password').fill(NEWCOMER.password);
  await page.locator('#password2').fill(`${NEWCOMER.password}x`);
  await clickToNewPage(page, page.locator('form[action="/register"] button[type="submit"]'));
  await check(page, 'registration, passwords differ');
  assert.equal(await page.locator('#password2').getAttribute('aria-invalid'), 'true', 'the error is at the repeated password');
  assert.equal(await page.locator('#name').inputValue(), NEWCOMER.name, 'the name is kept');
  await page.locator('#password').fill(NEWCOMER.password);
  await page.locator('#password2').fill(NEWCOMER.password);
  await clickToNewPage(page, page.locator('form[action="/register"] button[type="submit"]'));
  await page.waitForURL((url) => url.pathname === '/consent');
  await check(page, 'consent');
  await allowConsent(page, rp);
  assert.equal(rp.lastLogin.userinfo.name, NEWCOMER.name);

  // The account centre, page by page.
  for (const path of ['/account', '/account/data', '/account/sessions', '/account/history', '/account/connections',
    '/account/organisations', '/account/close', '/account/password']) {
    await page.goto(yimen.url(path));
    if (new URL(page.url()).pathname === '/login') {
      await check(page, `sign-in again before ${path}`);
      await signIn(page, NEWCOMER.phone, NEWCOMER.password);
    }
    if (new URL(page.url()).pathname === '/login/second') {
      await check(page, 'second factor');
      await secondFactor(page, yimen, NEWCOMER.phone);
    }
    assert.equal(new URL(page.url()).pathname, path);
    await check(page, path);
  }

  // Changing the phone to the number it already has is refused, in English.
  await page.goto(yimen.url('/account/phone'));
  await check(page, 'change phone');
  await page.locator('#phone').fill(NEWCOMER.phone);
  await clickToNewPage(page, page.locator('form[action="/account/phone/code"] button[type="submit"]').first());
  assert.equal(await page.locator('#phone').getAttribute('aria-invalid'), 'true', 'the current number is refused');
  await check(page, 'change phone, the current number');

  // A passkey: added (the page confirms), then removed after a question.
  await page.goto(yimen.url('/account/passkeys'));
  await check(page, 'passkeys, none yet');
  await page.locator('#passkey-name').fill('我的手机');
  await page.locator('#passkey-add').click();
  await page.locator('table tbody tr').or(page.locator('#passkey-error:visible')).first().waitFor();
  assert.equal(await page.locator('#passkey-error:visible').count(), 0, 'the passkey is added');
  await check(page, 'passkeys, one added');
  await clickToNewPage(page, page.locator('button[name="action"][value="remove"]'));
  assert.equal(await page.getByRole('alertdialog').count(), 1, 'removal asks first');
  await check(page, 'passkeys, the removal question');
  await clickToNewPage(page, page.locator('[role="alertdialog"] button[type="submit"]'));
  assert.equal(await page.locator('table tbody tr').count(), 0, 'the passkey is gone');
  await check(page, 'passkeys, removed');
  await authenticator.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator.authenticatorId });

  // Signing out.
  await page.goto(yimen.url('/logout'));
  await check(page, 'the logout question');
  await clickToNewPage(page, page.locator('button[name="decision"][value="logout"]'));
  await check(page, 'logged out');

  // A forgotten password, reset by SMS from the RP's sign-in; the next page says so.
  await openLoginFromRp(page, rp, yimen);
  await clickToNewPage(page, page.locator('a[href^="/password/reset"]'));
  await check(page, 'reset, first step');
  const resetCode = await sendCode(page, yimen, '/password/reset/code', NEWCOMER.phone);
  await check(page, 'reset, code step');
  const fillReset = async (code) => {
    await page.locator('#code').fill(code);
    await page.locator('#password').fill('harbour-lantern-quilt-9');
    if (await page.locator('#password2').count()) await page.locator('#password2').fill('harbour-lantern-quilt-9');
  };
  await fillReset('000000');
  await clickToNewPage(page, page.locator('form[action="/password/reset"] button[type="submit"]'));
  await check(page, 'reset, a wrong code');
  await fillReset(resetCode);
  await clickToNewPage(page, page.locator('form[action="/password/reset"] button[type="submit"]'));
  await check(page, 'reset, done');
  await page.locator('#continue').click();
  await backAtRp(page, rp);

  assertClean();
});

const HALL = '市民中心';
const STAFF = Object.freeze({ name: '赵六', idNumber: '110101199003074514', phone: '13700137000', password: 'copper-meadow-lantern-8' });
const LEVEL_4 = encodeURIComponent('urn:yimen:loa:4');

scenario('English: the citizen books a counter visit; the staff member at 1,280 px enrols a passkey, finds nobody, refuses a wrong check, records the right one, registers someone and prints the slip', {
  browser: ENGLISH,
  timeout: 180_000,
}, async ({ yimen, rp, citizen, page, t }) => {
  const { check, assertClean } = englishChecker([citizen.name, STAFF.name, HALL, '社保查询系统', '李四', '窗口工作证']);
  const hallId = (await yimen.cli(['hall', 'add', '--name', HALL, '--kind', 'city'])).stdout.trim();
  await yimen.addCitizen(STAFF);
  await yimen.cli(['role', 'grant', '--account', STAFF.phone, '--role', 'hall_staff', '--scope', hallId]);

  // The citizen: the system asks for level 4, the step-up page offers the counter, "done" too early.
  await openLoginFromRp(page, rp, yimen, `?acr_values=${LEVEL_4}`);
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/stepup');
  await check(page, 'step-up');
  await clickToNewPage(page, page.locator('form[action="/stepup/counter"] button[type="submit"]'));
  await check(page, 'step-up, the counter code');
  const code = (await page.locator('p.code').innerText()).trim();
  const proceed = page.locator('a[href^="/stepup/done"]');
  await clickToNewPage(page, proceed);
  await check(page, 'step-up, done before the visit');

  // The staff member, in a browser of their own at 1,280 px.
  const staffBrowser = await launch(ENGLISH);
  t.after(() => staffBrowser.close());
  const { page: desk, context: deskContext } = staffBrowser;
  await desk.goto(yimen.url('/desk'));
  await desk.waitForURL((url) => url.pathname === '/login');
  await signIn(desk, STAFF.phone, STAFF.password);
  await desk.goto(yimen.url('/desk'));
  await check(desk, 'desk, a password is not enough');
  await clickToNewPage(desk, desk.locator('#passkey-enrol'));
  if (new URL(desk.url()).pathname === '/login/second') await secondFactor(desk, yimen, STAFF.phone);
  assert.equal(new URL(desk.url()).pathname, '/account/passkeys');
  await check(desk, 'passkeys, with the enrolment code field');
  const enrolmentCode = (await yimen.cli(['role', 'enrol-code', '--account', STAFF.phone])).stdout.trim();
  await addVirtualAuthenticator(deskContext, desk);
  await desk.locator('#enrolment-code').fill(enrolmentCode);
  await desk.locator('#passkey-name').fill('窗口工作证');
  await desk.locator('#passkey-add').click();
  await desk.locator('table tbody tr').or(desk.locator('#passkey-error:visible')).first().waitFor();
  assert.equal(await desk.locator('#passkey-error:visible').count(), 0, 'the staff passkey is added');
  await desk.goto(yimen.url('/desk'));
  await check(desk, 'desk, the passkey step');
  await Promise.all([desk.waitForURL((url) => url.pathname === '/desk'), desk.locator('#passkey-login').click()]);
  await desk.locator('#query').waitFor();
  await check(desk, 'desk');

  // A search that finds nobody keeps the query; the counter code finds the citizen.
  await desk.locator('#query').fill('ZZZZ-ZZZZ');
  await clickToNewPage(desk, desk.locator('form[action="/desk/find"] button[type="submit"]'));
  assert.equal(await desk.locator('#query').inputValue(), 'ZZZZ-ZZZZ');
  await check(desk, 'desk, nobody found');
  await desk.locator('#query').fill(code);
  await clickToNewPage(desk, desk.locator('form[action="/desk/find"] button[type="submit"]'));
  assert.match(new URL(desk.url()).pathname, /^\/desk\/people\/[^/]+$/);
  await check(desk, 'person');

  // A check whose name does not match is refused, the input kept; the right one is recorded.
  const verify = desk.locator('form[action$="/verify"]');
  await verify.locator('#document_type').selectOption('resident_id');
  await verify.locator('#document_number').fill(citizen.idNumber);
  await verify.locator('#name').fill('王五');
  await verify.locator('#valid_until').fill('2036-01-01');
  await verify.locator('input[name="face_matches"]').check();
  await clickToNewPage(desk, verify.locator('button[name="outcome"][value="approve"]'));
  assert.equal(await verify.locator('#document_number').inputValue(), citizen.idNumber, 'the refused check keeps its input');
  await check(desk, 'person, a refused check');
  await verify.locator('#name').fill(citizen.name);
  await clickToNewPage(desk, verify.locator('button[name="outcome"][value="approve"]'));
  assert.equal(await desk.locator('#page-error').count(), 0, 'the check is recorded');
  await check(desk, 'person, the check recorded');

  // The citizen continues to the system at level 4.
  await proceed.click();
  await allowConsent(page, rp);
  assert.equal(rp.lastLogin.claims.acr, 'urn:yimen:loa:4');

  // An assisted registration: refused once (no phone), then the slip, which survives a reload.
  await desk.goto(yimen.url('/desk/register'));
  await check(desk, 'assisted registration');
  await desk.locator('#document_type').selectOption('resident_id');
  await desk.locator('#document_number').fill('320102198805120034');
  await desk.locator('#name').fill('李四');
  await desk.locator('#valid_until').fill('2036-01-01');
  await desk.locator('input[name="face_matches"]').check();
  await desk.locator('#phone').fill('1350013500');
  await clickToNewPage(desk, desk.locator('button[name="outcome"][value="approve"]'));
  assert.equal(await desk.locator('#name').inputValue(), '李四', 'the refused registration keeps its input');
  await check(desk, 'assisted registration, a bad phone number');
  await desk.locator('#phone').fill('13500135000');
  await clickToNewPage(desk, desk.locator('button[name="outcome"][value="approve"]'));
  assert.match(new URL(desk.url()).pathname, /\/slip$/);
  await check(desk, 'the slip');
  await desk.reload();
  await check(desk, 'the slip, reloaded');

  for (const path of ['/desk/orgs', '/desk/stats']) {
    await desk.goto(yimen.url(path));
    await check(desk, path);
  }
  assertClean();
});

const OFFICIAL = Object.freeze({ name: '李敏', idNumber: '350102198506120048', phone: '13600136000', password: 'velvet-orchard-canyon-7' });
const CIVIL = '市民政局';
const SYSTEM = '婚姻登记系统';

/** A POST of one of the console's forms: fills `fields` (selector → value) and submits with `button`. */
async function submitForm(page, form, fields, button = 'button[type="submit"]') {
  for (const [selector, value] of Object.entries(fields)) {
    const field = form.locator(selector);
    if (await field.evaluate((el) => el.tagName === 'SELECT')) await field.selectOption(value);
    else await field.fill(value);
  }
  await clickToNewPage(page, form.locator(button));
}

scenario('English, 1,280 px: a platform administrator signs in with two factors and meets every console page and its refusals, styled and in English; the exports have English headers', {
  browser: ENGLISH,
  seed: false,
  timeout: 180_000,
}, async ({ yimen, page }) => {
  const { check: checkEnglish, assertClean } = englishChecker([OFFICIAL.name, CIVIL, SYSTEM, '结婚登记', '市民中心', '外国人', '自然人和法人', '自然人', '法人']);
  const styling = {};
  const check = async (target, what) => {
    await checkEnglish(target, what);
    const found = await unstyledControls(target);
    if (found.length) styling[what] = found;
  };
  const out = async (args) => (await yimen.cli(args)).stdout.trim();
  await out(['catalog', 'add-department', '--name', CIVIL]);
  await out(['catalog', 'add-system', '--department', CIVIL, '--name', SYSTEM]);
  await yimen.addCitizen(OFFICIAL);
  await out(['role', 'grant', '--account', OFFICIAL.phone, '--role', 'platform_admin']);

  await page.goto(yimen.url('/dashboard'));
  await page.waitForURL((url) => url.pathname === '/login');
  await signIn(page, OFFICIAL.phone, OFFICIAL.password);
  assert.equal(new URL(page.url()).pathname, '/login/second', 'the console asks for a second factor');
  await check(page, 'second factor');
  await secondFactor(page, yimen, OFFICIAL.phone);
  assert.equal(new URL(page.url()).pathname, '/dashboard');
  await check(page, 'dashboard');

  // The catalog: a department that exists already is refused by name.
  await page.goto(yimen.url('/admin/catalog'));
  await check(page, 'catalog');
  await submitForm(page, page.locator('form[aria-labelledby="add-department"]'), { '#name': CIVIL });
  assert.match(await page.locator('#page-error').innerText(), new RegExp(CIVIL), 'the refusal names the department');
  await check(page, 'catalog, a department that exists');
  await submitForm(page, page.locator('form[aria-labelledby="grant-role"]'), { '#account': '13000000000' });
  await check(page, 'catalog, a role for nobody');

  // The department: a system that exists already, then a bad import.
  await clickToNewPage(page, page.locator('a[href^="/admin/catalog/departments/"]').first());
  const department = new URL(page.url()).pathname;
  await check(page, 'department');
  await submitForm(page, page.locator('form[aria-labelledby="add-system"]'), { '#system-name': SYSTEM });
  await check(page, 'department, a system that exists');
  const csv = join(yimen.dataDir, 'bad.csv');
  await writeFile(csv, `事项编码,事项名称,事项类型,服务对象,服务主题,业务系统\nMZ-001,结婚登记,行政许可,外国人,P12,${SYSTEM}\n`);
  await page.goto(yimen.url(department));
  await page.locator('#import-file').setInputFiles(csv);
  await clickToNewPage(page, page.locator('form[aria-labelledby="import-title"] button[type="submit"]'));
  await check(page, 'department, a refused import');

  // Halls: a town without a district above it; enrolment for someone who holds no role.
  await page.goto(yimen.url('/admin/halls'));
  await check(page, 'halls');
  await submitForm(page, page.locator('form[aria-labelledby="add-hall"]'), { '#name': '市民中心', '#kind': 'town' });
  await check(page, 'halls, a town without a parent');
  await page.goto(yimen.url('/admin/enrolment'));
  await check(page, 'enrolment');
  await submitForm(page, page.locator('form[action="/admin/enrolment"]'), { '#account': OFFICIAL.phone });
  await check(page, 'enrolment, the outcome');

  // The audit log, filtered.
  await page.goto(yimen.url('/audit'));
  await check(page, 'audit log');
  const events = await page.locator('#event option').evaluateAll((options) => options.map((o) => o.value).filter(Boolean));
  assert.ok(events.length > 0, 'the event filter lists events');
  await page.locator('#event').selectOption(events[0]);
  await clickToNewPage(page, page.locator('form[action="/audit"] button[type="submit"]'));
  await check(page, 'audit log, filtered');

  // The exports' first lines (after the byte-order mark) are headers in English.
  for (const path of ['/dashboard/export.csv', '/audit/export.csv']) {
    const response = await page.request.get(yimen.url(path));
    assert.equal(response.status(), 200, path);
    const header = (await response.text()).replace(/^\uFEFF/, '').split('\n')[0];
    assert.doesNotMatch(header, /[\u3400-\u9fff]/, `${path} has English headers: ${header}`);
  }
  assertClean();
  assert.deepEqual(styling, {}, 'controls in the browser\'s default look');
});

const ORG = Object.freeze({ uscc: '91350100M000100Y43', name: '测试科技有限公司' });
const AGENT = Object.freeze({ name: '王五', idNumber: '110101199003074514', phone: '13700137000', password: 'copper-meadow-lantern-5' });

scenario('English, phone (360 px): the representative chooses to act for the company, then authorises an agent for one system after a refused attempt', {
  browser: { ...PHONE, ...ENGLISH },
  scope: 'openid profile org',
  timeout: 120_000,
}, async ({ yimen, rp, citizen, page }) => {
  const { check, assertClean } = englishChecker([citizen.name, AGENT.name, ORG.name, '社保查询系统', '公积金系统']);
  const org = await yimen.addOrganisation({ ...ORG, representativeIdNumber: citizen.idNumber });
  await yimen.addCitizen(AGENT);
  await yimen.addClient({ name: '公积金系统', redirectUri: 'http://127.0.0.1:9/callback' });

  await openLoginFromRp(page, rp, yimen);
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/account/acting');
  await check(page, 'acting for');
  await page.locator(`input[type="radio"][name="choice"][value="${org.id}"]`).check();
  await clickToNewPage(page, page.locator('form[action="/account/acting"] button[type="submit"]'));
  await check(page, 'consent with the organisation');
  await allowConsent(page, rp);
  assert.equal(rp.lastLogin.claims.org?.id, org.id, 'the RP learns the organisation');

  await page.goto(yimen.url('/account/organisations'));
  await check(page, 'my organisations');
  await page.goto(yimen.url(`/account/organisations/${org.id}`));
  await check(page, 'the organisation');

  // An ID number that does not match the name is refused at the form, which keeps the choices.
  await page.locator('#name').fill(AGENT.name);
  await page.locator('#id_number').fill('110101199003074515');
  await page.locator('input[type="radio"][name="role"][value="agent"]').check();
  await page.locator('input[type="radio"][name="scope"][value="only"]').check();
  await page.locator('#items').fill('GJJ-001');
  await clickToNewPage(page, page.locator('button[name="action"][value="grant"]'));
  await check(page, 'the organisation, a refused grant');
  assert.equal(await page.locator('#name').inputValue(), AGENT.name, 'the name is kept');
  assert.equal(await page.locator('#items').inputValue(), 'GJJ-001', 'the item codes are kept');
  assert.equal(await page.locator('input[type="radio"][name="scope"][value="only"]').isChecked(), true, 'the scope is kept');
  assert.equal(await page.locator('#id_number').getAttribute('aria-invalid'), 'true', 'the ID number is marked');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'id_number', 'and has the focus');
  await page.locator('#id_number').fill(AGENT.idNumber);
  await page.locator('#system-filter').fill('公积金');
  await page.getByRole('checkbox', { name: '公积金系统' }).check();
  await clickToNewPage(page, page.locator('button[name="action"][value="grant"]'));
  assert.equal(await page.locator('#page-error').count(), 0, 'the agent is authorised');
  await check(page, 'the organisation, an agent authorised');
  assertClean();
});
