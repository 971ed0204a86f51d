// Acting for an organisation (scope org), on a phone (360×740). 张三 is the legal representative of
// 测试科技有限公司 (seeded with `yimen org add`). After the password login yimen asks in whose name he
// continues; acting for the company, the RP's ID token and UserInfo carry the `org` claim while the
// subject stays the person's. As representative he authorises 王五 as an agent for another system only:
// 王五 may choose the company, but this RP sees no organisation. Revoking the agent removes him.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn, allowConsent, backAtRp, signOut, clickToNewPage, toNewPage } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { horizontalOverflow, unlabelledControls } from './lib/checks.js';

const ORG = Object.freeze({ uscc: '91350100M000100Y43', name: '测试科技有限公司' });
const AGENT = Object.freeze({
  name: '王五',
  idNumber: '110101199003074514',
  phone: '13700137000',
  password: 'copper-meadow-lantern-5',
});
const ORG_SCOPE = 'openid profile org';

/** The organisation (as `yimen org add --json` printed it), 王五's account and another system's client id. */
const OTHER_SYSTEM = '公积金系统';

async function seedOrganisation(yimen, citizen) {
  const org = await yimen.addOrganisation({ ...ORG, representativeIdNumber: citizen.idNumber });
  assert.ok(org.id, `yimen org add --json printed an id: ${JSON.stringify(org)}`);
  await yimen.addCitizen(AGENT);
  const other = await yimen.addClient({ name: OTHER_SYSTEM, redirectUri: 'http://127.0.0.1:9/callback' });
  return { org, otherClientId: other.client_id };
}

/** On /account/acting: picks "self" or the organisation (by name) and continues. */
async function chooseActing(page, choice) {
  await page.waitForURL((url) => url.pathname === '/account/acting');
  const radio = choice === 'self'
    ? page.locator('input[type="radio"][name="choice"][value="self"]')
    : page.getByRole('radio', { name: new RegExp(choice) });
  assert.equal(await radio.count(), 1, `one choice for ${choice}`);
  await radio.check();
  await clickToNewPage(page, page.locator('form[action="/account/acting"] button[type="submit"]'));
}

const expectedOrgClaim = (org, role) => ({ id: org.id, uscc: ORG.uscc, name: ORG.name, type: 'enterprise', role });

scenario('organisation: the representative acts for the company (org claim, same sub); an agent for another system gets no org claim; revoking removes him', {
  browser: PHONE,
  scope: ORG_SCOPE,
  timeout: 180_000,
}, async ({ yimen, rp, citizen, page, t }) => {
  const { org, otherClientId } = await seedOrganisation(yimen, citizen);

  // 1. The representative signs in through the RP and is asked in whose name he continues.
  await openLoginFromRp(page, rp, yimen);
  await signIn(page, citizen.phone, citizen.password);
  await page.waitForURL((url) => url.pathname === '/account/acting');
  assert.equal(await page.locator('h1').innerText(), '选择办事身份');
  const choices = await page.locator('input[type="radio"][name="choice"]').evaluateAll((inputs) => inputs.map((i) => ({ value: i.value, checked: i.checked })));
  assert.deepEqual(choices, [{ value: 'self', checked: true }, { value: org.id, checked: false }],
    'two choices: himself (preselected) and the organisation, by its id');
  assert.equal(await page.getByRole('radio', { name: `${ORG.name}（法定代表人）` }).count(), 1,
    'the organisation\'s radio is labelled with its name and his role');
  assert.equal(await page.getByRole('radio', { name: '以个人身份（张三）' }).count(), 1, 'the personal choice is labelled');
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= 360, `the chooser scrolls sideways at 360 px: ${JSON.stringify(overflow)}`);
  assert.deepEqual(await unlabelledControls(page), [], 'every input on the chooser has a label');
  await chooseActing(page, ORG.name);
  await page.waitForURL((url) => url.pathname === '/consent');
  assert.match(await page.locator('main').innerText(), /您所代表的单位及您的身份/, 'consent names the organisation data');
  await allowConsent(page, rp);
  assert.equal(rp.errors.length, 0, `the RP reported errors: ${rp.errors.map((e) => e.error?.message)}`);
  const forOrg = rp.lastLogin;
  assert.deepEqual(forOrg.claims.org, expectedOrgClaim(org, 'legal_representative'), 'the ID token carries the organisation');
  assert.deepEqual(forOrg.userinfo.org, expectedOrgClaim(org, 'legal_representative'), 'UserInfo carries the organisation');
  assert.equal(forOrg.userinfo.name, citizen.name, 'the person is still the one named');

  // 2. Switched to himself in the account centre, the next sign-in (single sign-on) has no org, same sub.
  await page.goto(yimen.url('/account/acting'));
  await chooseActing(page, 'self');
  await page.goto(rp.loginUrl);
  await backAtRp(page, rp);
  const forSelf = rp.lastLogin;
  assert.equal(rp.logins.length, 2);
  assert.equal(forSelf.claims.org, undefined, 'acting for himself: no org claim in the ID token');
  assert.equal(forSelf.userinfo.org, undefined, 'acting for himself: no org claim in UserInfo');
  assert.equal(forOrg.claims.sub, forSelf.claims.sub, 'the subject is the person, whoever he acts for');

  // 3. As representative he authorises 王五 as agent for another system only.
  await page.goto(yimen.url('/account/organisations'));
  const manage = page.getByRole('link', { name: '管理', exact: true });
  assert.equal(await manage.count(), 1, 'one organisation to manage');
  assert.match(await page.locator('main').innerText(), new RegExp(`${ORG.name}（${ORG.uscc}）`));
  await clickToNewPage(page, manage);
  assert.equal(new URL(page.url()).pathname, `/account/organisations/${org.id}`);
  assert.equal(await page.locator('h1').innerText(), ORG.name);
  const memberRows = page.locator('table tbody tr');
  assert.equal(await memberRows.count(), 1, 'only the representative so far');
  assert.match(await memberRows.first().innerText(), /张三[\s\S]*法定代表人/);

  await authoriseAgent(page, otherClientId);
  const agentRow = memberRows.filter({ hasText: AGENT.name });
  assert.equal(await agentRow.count(), 1, 'the agent appears in the members table');
  const agentCells = await agentRow.locator('td').allInnerTexts();
  assert.equal(agentCells[2].trim(), '经办人', `role agent: ${JSON.stringify(agentCells)}`);
  assert.equal(agentCells[3].trim(), OTHER_SYSTEM, `scope: only the other system, by name: ${JSON.stringify(agentCells)}`);
  assert.ok(!agentCells[1].includes(AGENT.idNumber), `the ID number is shown masked: ${agentCells[1]}`);
  assert.equal(await agentRow.locator('button[name="action"][value="revoke"]').count(), 1, 'the agent can be revoked');

  // 4. 王五 signs in through the RP and chooses the company: this RP is not covered, so no org claim.
  await signOut(page, yimen);
  await openLoginFromRp(page, rp, yimen);
  await signIn(page, AGENT.phone, AGENT.password);
  await page.waitForURL((url) => url.pathname === '/account/acting');
  assert.equal(await page.getByRole('radio', { name: `${ORG.name}（经办人）` }).count(), 1, 'the agent may choose the company');
  await chooseActing(page, ORG.name);
  await allowConsent(page, rp);
  const asAgent = rp.lastLogin;
  assert.equal(asAgent.userinfo.name, AGENT.name);
  assert.notEqual(asAgent.claims.sub, forSelf.claims.sub, 'another person');
  assert.equal(asAgent.claims.org, undefined,
    `the grant covers only ${otherClientId}: the ID token must not name the company: ${JSON.stringify(asAgent.claims.org)}`);
  assert.equal(asAgent.userinfo.org, undefined, 'nor UserInfo');

  // 5. The representative revokes the agent.
  await signOut(page, yimen);
  await page.goto(yimen.url('/account/organisations'));
  await page.waitForURL((url) => url.pathname === '/login');
  await signIn(page, citizen.phone, citizen.password);
  if (new URL(page.url()).pathname === '/account/acting') await chooseActing(page, 'self');
  await page.goto(yimen.url(`/account/organisations/${org.id}`));
  const row = page.locator('table tbody tr').filter({ hasText: AGENT.name });
  assert.equal(await row.count(), 1);
  // By keyboard: Enter on the row's "撤销" button.
  await toNewPage(page, () => row.locator('button[name="action"][value="revoke"]').press('Enter'));
  assert.equal((await page.getByRole('status').innerText()).trim(), '已撤销。');
  assert.equal(await page.locator('table tbody tr').filter({ hasText: AGENT.name }).count(), 0, 'the agent\'s row is gone');
  assert.equal(await page.locator('table tbody tr').count(), 1, 'the representative remains');
  t.diagnostic(`organisation ${org.id}, agent granted for ${otherClientId} and revoked`);
});

/** Signed out, opens the organisation's page, signs in as the representative, acting for himself. */
async function openOrganisationAsRepresentative(page, yimen, citizen, org) {
  await page.goto(yimen.url(`/account/organisations/${org.id}`));
  await page.waitForURL((url) => url.pathname === '/login');
  await signIn(page, citizen.phone, citizen.password);
  if (new URL(page.url()).pathname === '/account/acting') await chooseActing(page, 'self');
}

/** Authorises 王五 as an agent for the given system only, on the organisation page: the system is found by
 *  typing part of its name into the filter, then ticked. */
async function authoriseAgent(page, clientId) {
  await page.locator('#name').fill(AGENT.name);
  await page.locator('#id_number').fill(AGENT.idNumber);
  await page.locator('input[type="radio"][name="role"][value="agent"]').check();
  await page.locator('input[type="radio"][name="scope"][value="only"]').check();
  const choices = page.locator('#system-list label');
  assert.ok(await choices.count() >= 2, 'the connected systems are listed to choose from');
  await page.locator('#system-filter').fill(OTHER_SYSTEM.slice(0, 2));
  assert.equal(await page.locator('#system-list label:visible').count(), 1, 'typing part of a name filters the list');
  await page.getByRole('checkbox', { name: OTHER_SYSTEM }).check();
  assert.equal(await page.getByRole('checkbox', { name: OTHER_SYSTEM }).getAttribute('value'), clientId);
  await clickToNewPage(page, page.locator('button[name="action"][value="grant"]'));
  const refused = page.locator('#page-error');
  if (await refused.count() > 0) assert.fail(`the grant was refused: ${await refused.innerText()}`);
  assert.equal((await page.getByRole('status').innerText()).trim(), '已授权。');
}

scenario('organisation page at 360 px: the members table fits the screen and "撤销" is on screen', {
  browser: PHONE,
  scope: ORG_SCOPE,
}, async ({ yimen, page, citizen }) => {
  const { org, otherClientId } = await seedOrganisation(yimen, citizen);
  await openOrganisationAsRepresentative(page, yimen, citizen, org);
  await page.goto(yimen.url(`/account/organisations/${org.id}`));
  await authoriseAgent(page, otherClientId);
  const problems = [];
  const overflow = await horizontalOverflow(page);
  if (overflow.scrollWidth > 360) problems.push(`scrolls sideways: scrollWidth ${overflow.scrollWidth}, widest ${JSON.stringify(overflow.culprits)}`);
  const box = await page.locator('table tbody tr').filter({ hasText: AGENT.name }).locator('button[value="revoke"]').boundingBox();
  if (!box || box.x < 0 || box.x + box.width > 360) problems.push(`"撤销" is not within the 360 px screen: ${JSON.stringify(box)}`);
  const unlabelled = await unlabelledControls(page);
  if (unlabelled.length) problems.push(`unlabelled controls: ${unlabelled.join(' | ')}`);
  assert.deepEqual(problems, []);
});

scenario('organisation page: its address survives signing in and switching language', {
  scope: ORG_SCOPE,
}, async ({ yimen, page, citizen }) => {
  const { org } = await seedOrganisation(yimen, citizen);
  const here = `/account/organisations/${org.id}`;
  await openOrganisationAsRepresentative(page, yimen, citizen, org);
  const problems = [];
  if (new URL(page.url()).pathname !== here) problems.push(`after signing in the browser is at ${new URL(page.url()).pathname}, not ${here}`);
  await page.goto(yimen.url(here));
  const link = page.locator('header a[href^="/lang?"]');
  const href = await link.getAttribute('href');
  await clickToNewPage(page, link);
  if (await page.locator('html').getAttribute('lang') !== 'en') problems.push('the switch did not change the language');
  if (new URL(page.url()).pathname !== here) problems.push(`the language switch (${href}) led to ${new URL(page.url()).pathname}, not ${here}`);
  assert.deepEqual(problems, []);
});
