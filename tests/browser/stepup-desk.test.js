// Step-up to the highest level at a service hall's counter desk. A relying party asks for level 4
// (acr_values=urn:yimen:loa:4); the citizen 张三, who signed up online, lands on the step-up page and
// books a counter visit, which gives him a one-time code. A staff member of 市民中心 (seeded with
// `yimen hall add` and `yimen role grant --role hall_staff`) is refused at the desk after a password
// sign-in, adds a passkey (Chromium's virtual authenticator), signs in again with it, finds 张三 by the
// code and records the in-person check; 张三 gets an SMS, continues, and the RP receives acr
// urn:yimen:loa:4. A citizen who declines the step-up sends the RP the standard error, not a lower level.
//
// Two browsers: the citizen's (the scenario's page) and the staff member's (a second, fresh profile).
// yimen is browsed by its issuer name, http://localhost:PORT: WebAuthn needs a domain as RP ID.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn, allowConsent, backAtRp, signOut, clickToNewPage, toNewPage } from './lib/scenario.js';
import { axeViolations } from './lib/checks.js';
import { launch } from './lib/browser.js';
import { addVirtualAuthenticator } from './lib/webauthn.js';

const LEVEL_4 = 'urn:yimen:loa:4';
const HALL = '市民中心';
// The staff member: an ID number that passes GB 11643 and differs from 张三's.
const STAFF = Object.freeze({
  name: '赵六',
  idNumber: '440301199003071230',
  phone: '13700137000',
  password: 'copper-meadow-lantern-8',
});
const PASSKEY_NAME = '窗口工作证';

/** The hall and the staff member with a hall_staff role there, through yimen's CLI. */
async function seedHallAndStaff(yimen) {
  const { stdout } = await yimen.cli(['hall', 'add', '--name', HALL, '--kind', 'city']);
  const hallId = stdout.trim();
  assert.ok(hallId, 'yimen hall add printed the hall id');
  await yimen.addCitizen(STAFF);
  await yimen.cli(['role', 'grant', '--account', STAFF.phone, '--role', 'hall_staff', '--scope', hallId]);
  return hallId;
}

/**
 * The staff member in a browser of their own (a fresh profile): /desk asks them to sign in; after the
 * password the desk refuses with the reason; they add a passkey at /account/passkeys (virtual
 * authenticator), sign out, and sign in with the passkey alone, which leads back to /desk. Returns the page.
 */
async function staffAtDesk(yimen, t) {
  // bypassCSP lets axe-core be injected; the pages themselves are unchanged.
  const staffBrowser = await launch({ bypassCSP: true });
  t.after(() => staffBrowser.close());
  const { page: desk, context: deskContext } = staffBrowser;
  await desk.goto(yimen.url('/desk'));
  await desk.waitForURL((url) => url.pathname === '/login');
  assert.equal(new URL(desk.url()).searchParams.get('next'), '/desk', 'the desk asks who you are first, and comes back');
  await signIn(desk, STAFF.phone, STAFF.password);
  assert.equal(new URL(desk.url()).pathname, '/desk');
  const refused = await desk.goto(yimen.url('/desk'));
  assert.equal(refused.status(), 403, 'a password-only session is refused at the desk');
  assert.equal(await desk.locator('html').getAttribute('lang'), 'zh-CN');
  const reason = desk.getByRole('alert');
  assert.equal((await reason.innerText()).trim(), '窗口系统要求使用通行密钥登录。', 'the refusal says why');
  assert.equal(await desk.locator('#query').count(), 0, 'no desk form behind the refusal');
  assert.deepEqual(await axeViolations(desk), [], 'axe-core: none on the passkey step');
  // A first-time staff member is shown the way to a first passkey, not only told to sign out.
  const enrol = desk.getByRole('link', { name: '添加通行密钥', exact: true });
  assert.equal(await enrol.count(), 1, 'the way to a first passkey is offered');
  await clickToNewPage(desk, enrol);
  assert.equal(new URL(desk.url()).pathname, '/account/passkeys');

  // His first passkey: a password alone is not enough, so a platform administrator's one-time enrolment
  // code (`yimen role enrol-code`), handed over in person, goes with it.
  const { stdout } = await yimen.cli(['role', 'enrol-code', '--account', STAFF.phone]);
  const enrolmentCode = stdout.trim();
  assert.match(enrolmentCode, /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/, 'the CLI prints the code');
  const authenticator = await addVirtualAuthenticator(deskContext, desk);
  assert.equal(await desk.locator('h1').innerText(), '通行密钥');
  assert.equal(await desk.locator('label[for="enrolment-code"]').innerText(), '通行密钥登记码', 'the code field is labelled');
  await desk.locator('#enrolment-code').fill(enrolmentCode);
  await desk.locator('#passkey-name').fill(PASSKEY_NAME);
  await desk.locator('#passkey-add').click();
  const listed = desk.locator('table tbody tr').filter({ hasText: PASSKEY_NAME });
  const failed = desk.locator('#passkey-error:visible');
  await listed.or(failed).first().waitFor();
  if (await failed.count() > 0) assert.fail(`adding the passkey failed: ${await failed.innerText()}`);
  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
  assert.equal(credentials.length, 1, 'the authenticator holds the staff member\'s passkey');

  // Back at the desk, still signed in with the password: the passkey step is offered right there.
  await desk.goto(yimen.url('/desk'));
  const passkeyStep = desk.getByRole('button', { name: '用通行密钥继续', exact: true });
  await passkeyStep.waitFor({ state: 'visible' });
  await Promise.all([desk.waitForURL((url) => url.pathname === '/desk'), passkeyStep.click()]);
  await desk.locator('#query').waitFor();

  // And after signing out, the passkey alone brings him back to the desk.
  await signOut(desk, yimen);
  await desk.goto(yimen.url('/desk'));
  await desk.waitForURL((url) => url.pathname === '/login');
  const passkeyLogin = desk.locator('#passkey-login');
  await passkeyLogin.waitFor({ state: 'visible' });
  await Promise.all([desk.waitForURL((url) => url.pathname === '/desk'), passkeyLogin.click()]);
  await desk.locator('#query').waitFor();
  return desk;
}

/** The id of the focused element (or its tag when it has none). */
const focusedId = (page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);

/** The citizen: RP login asking for level 4, password, the step-up page; returns its URL. */
async function reachStepUp(page, rp, yimen, citizen, query) {
  const loginUrl = await openLoginFromRp(page, rp, yimen, query);
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/stepup');
  const stepUp = new URL(page.url());
  assert.equal(stepUp.searchParams.get('rid'), loginUrl.searchParams.get('rid'), 'the step-up page keeps the sign-in request');
  return stepUp;
}

scenario('step-up to level 4 at the counter: code online, a passkey-signed-in staff member verifies in person, the RP gets acr urn:yimen:loa:4', {
  timeout: 180_000,
  browser: { bypassCSP: true },
}, async ({ yimen, rp, citizen, page, t }) => {
  await seedHallAndStaff(yimen);

  // 1. The RP asks for level 4; after the password the citizen lands on the step-up page, in Chinese.
  const stepUpRid = (await reachStepUp(page, rp, yimen, citizen, `?acr_values=${encodeURIComponent(LEVEL_4)}`)).searchParams.get('rid');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.equal(await page.locator('h1').innerText(), '提升认证等级');
  const main = await page.locator('main').innerText();
  assert.match(main, /“社保查询系统”要求认证等级达到“四级：窗口核验”，您目前为“一级：已注册”。/,
    `the page names the system, the level it needs and the level the citizen has: ${main}`);
  assert.doesNotMatch(main, /[A-Za-z]{3,}/, `the step-up page is all Chinese: ${main}`);
  assert.equal(await page.getByRole('button', { name: '与户籍登记比对' }).count(), 0, 'level 4 cannot be reached online: no register check offered');
  assert.equal(await page.getByRole('heading', { name: '到政务服务大厅核验' }).count(), 1, 'the counter visit is offered');
  assert.equal(await page.getByRole('link', { name: '暂不提升，返回原系统' }).count(), 1, 'declining is offered');
  assert.equal(rp.logins.length, 0, 'no sign-in reached the RP below the level it asked for');

  // 2. The citizen books a counter visit and reads the one-time code off the page.
  await clickToNewPage(page, page.getByRole('button', { name: '获取窗口核验码', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/stepup/counter');
  const notice = page.getByRole('status');
  assert.match(await notice.innerText(), /请携带身份证件到任一政务服务大厅，向工作人员出示以下核验码：/);
  assert.match(await notice.innerText(), /核验码有效期至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}，仅能使用一次。/, 'the page says until when the code lasts');
  const code = (await page.locator('p.code').innerText()).trim();
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/, `a code like ABCD-EFGH: "${code}"`);
  const proceed = page.getByRole('link', { name: '已完成窗口核验，继续' });
  assert.equal(await proceed.count(), 1, 'a way to continue after the counter visit');

  // Pressed before the visit: the same code stays, and the page says the counter has not recorded it yet.
  await clickToNewPage(page, proceed);
  assert.equal(new URL(page.url()).pathname, '/stepup/done');
  assert.match(await page.getByRole('alert').innerText(), /窗口尚未记录您的核验/, 'the page says why it did not continue');
  assert.equal((await page.locator('p.code').innerText()).trim(), code, 'the same code is still shown');
  assert.deepEqual(await axeViolations(page), [], 'axe-core: none on the step-up page saying the visit is not recorded');
  // Coming back to the step-up page later shows that code again instead of a second one.
  await page.goto(yimen.url(`/stepup?rid=${stepUpRid}`));
  assert.equal((await page.locator('p.code').innerText()).trim(), code, 'one live code, shown again');
  t.diagnostic(`counter code ${code}`);

  // 3. The staff member, in another browser: refused after a password sign-in, then back with a passkey.
  const desk = await staffAtDesk(yimen, t);

  // 4. The desk: who and where, the search field focused, keyboard only from here.
  assert.equal(await desk.locator('h1').innerText(), '查找办事人');
  assert.match(await desk.locator('.seat-line').innerText(), new RegExp(`当前窗口：\\s*${HALL}\\s*·\\s*${STAFF.name}`),
    'the desk names the hall and the staff member');
  assert.equal(await focusedId(desk), 'query', 'the search field has focus when the desk opens');
  await desk.keyboard.type(code.toLowerCase().replace('-', ''));
  await toNewPage(desk, () => desk.keyboard.press('Enter'));
  const personPath = new URL(desk.url()).pathname;
  assert.match(personPath, /^\/desk\/people\/[^/]+$/, `the code (typed in lower case, no dash) finds the person: ${personPath}`);
  assert.equal(await desk.locator('h1').innerText(), citizen.name);
  const details = await desk.locator('main').innerText();
  assert.match(details, /一级：已注册/, 'the desk shows the level before the check');
  assert.ok(!details.includes(citizen.idNumber), 'the ID number is shown masked');

  // The code works once; the ID number finds the same person.
  await desk.goto(yimen.url('/desk'));
  await desk.locator('#query').fill(code);
  await clickToNewPage(desk, desk.getByRole('button', { name: '查找', exact: true }));
  assert.equal((await desk.locator('#page-error').innerText()).trim(), '没有找到对应账号。可以为其代办注册。',
    'a used counter code finds nobody');
  assert.equal(await desk.locator('#query').inputValue(), code, 'the search stays in the field to be corrected');
  assert.equal(await desk.locator('#query').getAttribute('aria-invalid'), 'true');
  await desk.locator('#query').fill(citizen.idNumber);
  await clickToNewPage(desk, desk.getByRole('button', { name: '查找', exact: true }));
  assert.equal(new URL(desk.url()).pathname, personPath, 'the ID number finds the same person');

  // The in-person check against the physical document: type, number, name, validity, face; approve.
  const verify = desk.locator(`form[action="${personPath}/verify"]`);
  await verify.locator('#document_type').selectOption('resident_id');
  await verify.locator('#document_number').fill(citizen.idNumber);
  await verify.locator('#name').fill('张四');
  await verify.locator('#valid_until').fill('2036-01-01');
  await verify.getByLabel('本人与证件照片一致').check();
  // A name that does not match: refused, the banner says which form, and nothing typed is lost.
  await clickToNewPage(desk, verify.getByRole('button', { name: '核验通过', exact: true }));
  assert.match((await desk.locator('#page-error').innerText()).trim(), /^现场实名核验：/, 'the error names the form it is about');
  assert.equal(await verify.locator('#document_number').inputValue(), citizen.idNumber, 'the document number is kept');
  assert.equal(await verify.locator('#valid_until').inputValue(), '2036-01-01', 'the date is kept');
  assert.ok(await verify.getByLabel('本人与证件照片一致').isChecked(), 'the face match stays ticked');
  assert.equal(await desk.locator('#reset-document_number').inputValue(), '', 'the reset form is left alone');
  assert.equal(await desk.locator('.danger-zone h2').innerText(), '现场重置登录凭据', 'the reset sits apart, under its own heading');
  assert.deepEqual(await axeViolations(desk), [], 'axe-core: none on the person page with a refused check');
  await verify.locator('#name').fill(citizen.name);
  const smsBefore = (await yimen.smsOutbox(citizen.phone)).length;
  await clickToNewPage(desk, verify.getByRole('button', { name: '核验通过', exact: true }));
  assert.equal(new URL(desk.url()).pathname, personPath, 'the outcome is shown on the person\'s page, reached by GET');
  assert.equal(await desk.locator('h1').innerText(), citizen.name);
  assert.equal(await desk.locator('#page-error').count(), 0, `the check was refused: ${await desk.locator('#page-error').allInnerTexts()}`);
  assert.match((await desk.getByRole('status').innerText()).trim(), /^核验已记录。当前等级：\s*四级：窗口核验$/,
    'the desk says the check was recorded and the new level');
  assert.match(await desk.locator('table').first().innerText(), /四级：窗口核验/, 'the person\'s level is now 4');
  assert.match(await desk.locator('table').nth(1).innerText(), /窗口现场核验[\s\S]*通过/, 'the counter check is listed as passed');

  // The citizen is told by SMS.
  const sms = await yimen.nextSms(citizen.phone, smsBefore);
  assert.equal(sms.template, 'account_notice');
  assert.match(sms.text, /现场实名核验[\s\S]*四级/, `the SMS says the level went up: ${sms.text}`);
  // Reloading the outcome records nothing twice (the check was posted, then redirected).
  await desk.reload();
  assert.equal((await desk.locator('table').nth(1).innerText()).match(/窗口现场核验/g).length, 1, 'one counter check after a reload');
  assert.equal((await yimen.smsOutbox(citizen.phone)).length, smsBefore + 1, 'one SMS after a reload');

  // 5. The citizen continues the same sign-in request: consent, and the RP gets level 4.
  await proceed.click();
  await allowConsent(page, rp);
  assert.equal(rp.errors.length, 0, `the RP reported errors: ${rp.errors.map((e) => e.error?.message)}`);
  assert.equal(rp.logins.length, 1);
  const { claims, userinfo } = rp.lastLogin;
  assert.equal(claims.acr, LEVEL_4, `the ID token says level 4: ${JSON.stringify(claims)}`);
  assert.deepEqual(claims.amr, ['pwd'], 'the citizen signed in with the password');
  assert.equal(userinfo.name, citizen.name);

  // Asking again (single sign-on), the level holds without another step-up.
  await page.goto(`${rp.loginUrl}?acr_values=${encodeURIComponent(LEVEL_4)}`);
  await backAtRp(page, rp);
  assert.equal(rp.logins.length, 2);
  assert.equal(rp.lastLogin.claims.acr, LEVEL_4);
  assert.equal(rp.lastLogin.claims.sub, claims.sub);

  // 6. An assisted registration at the desk ends on a slip that survives a reload (reprinting it).
  await desk.goto(yimen.url('/desk/register'));
  await desk.locator('#document_type').selectOption('resident_id');
  await desk.locator('#document_number').fill('320102198805120034');
  await desk.locator('#name').fill('李四');
  await desk.locator('#valid_until').fill('2036-01-01');
  await desk.getByLabel('本人与证件照片一致').check();
  await desk.locator('#phone').fill('13500135000');
  await clickToNewPage(desk, desk.getByRole('button', { name: '注册并打印激活码', exact: true }));
  assert.equal(await desk.locator('#page-error').count(), 0, `refused: ${await desk.locator('#page-error').allInnerTexts()}`);
  assert.match(new URL(desk.url()).pathname, /^\/desk\/people\/[^/]+\/slip$/, `the slip is its own page: ${desk.url()}`);
  assert.equal(await desk.locator('h1').innerText(), '激活凭条');
  assert.deepEqual(await axeViolations(desk), [], 'axe-core: none on the slip');
  const reloaded = await desk.reload();
  assert.equal(reloaded.status(), 200, 'reloading the slip neither fails nor registers twice');
  assert.match(await desk.locator('.slip').innerText(), /李四/, 'the reloaded slip is the same person\'s');
});

scenario('a citizen who declines the step-up: the RP (registered with --min-acr level 4) gets unmet_authentication_requirements, not a lower-level sign-in', {
  minAcr: LEVEL_4,
}, async ({ yimen, rp, citizen, page }) => {
  await reachStepUp(page, rp, yimen, citizen, '');
  assert.match(await page.locator('main').innerText(), /要求认证等级达到“四级：窗口核验”/, 'the client\'s own minimum asks for level 4');
  const decline = page.getByRole('link', { name: '暂不提升，返回原系统', exact: true });
  await Promise.all([page.waitForURL((url) => url.href.startsWith(rp.redirectUri)), decline.click()]);
  const back = new URL(page.url());
  assert.equal(back.searchParams.get('error'), 'unmet_authentication_requirements', `the standard error: ${back.search}`);
  assert.equal(back.searchParams.get('code'), null, 'no authorization code');
  assert.equal(rp.logins.length, 0, 'no sign-in reached the RP');
  assert.equal(rp.errors.length, 1, 'the RP saw one failed sign-in');
  const { error } = rp.errors[0];
  assert.equal(error.error, 'unmet_authentication_requirements', `openid-client reports the error: ${error.stack}`);

  // Asking again sends the citizen (still signed in) back to the step-up page, not to the RP.
  await page.goto(rp.loginUrl);
  await page.waitForURL((url) => url.pathname === '/stepup');
  assert.equal(rp.logins.length, 0);
});

// The desk is keyboard first: after finding someone the focus is on the check's first field, and the
// page's two forms (the in-person check and the credential reset) have fields of their own, so that each
// label names a field of its own form (WCAG 2.2 SC 1.3.1).
scenario('desk person page: the focus starts at the check, and every label names a field of its own form', {
  timeout: 180_000,
}, async ({ yimen, citizen, t }) => {
  await seedHallAndStaff(yimen);
  const desk = await staffAtDesk(yimen, t);
  assert.equal(await focusedId(desk), 'query', 'the search field has focus when the desk opens');
  await desk.keyboard.type(citizen.idNumber);
  await toNewPage(desk, () => desk.keyboard.press('Enter'));
  assert.match(new URL(desk.url()).pathname, /^\/desk\/people\/[^/]+$/, 'the ID number finds the person');
  const problems = [];
  const focused = await focusedId(desk);
  if (focused !== 'document_type') problems.push(`after finding the person the focus is on ${focused}, not the check's first field #document_type`);
  const duplicates = await desk.evaluate(() => {
    const counts = {};
    for (const element of document.querySelectorAll('[id]')) counts[element.id] = (counts[element.id] || 0) + 1;
    return Object.entries(counts).filter(([, n]) => n > 1).map(([id, n]) => `#${id} ×${n}`);
  });
  if (duplicates.length) problems.push(`ids used more than once: ${duplicates.join(', ')}`);
  const strayLabels = await desk.evaluate(() => [...document.querySelectorAll('form label[for]')]
    .filter((label) => !label.control || label.control.form !== label.closest('form'))
    .map((label) => `"${label.textContent.trim()}" in ${label.closest('form').getAttribute('action')}`));
  if (strayLabels.length) problems.push(`labels that name a field of another form: ${strayLabels.join('; ')}`);
  assert.deepEqual(problems, []);
});
