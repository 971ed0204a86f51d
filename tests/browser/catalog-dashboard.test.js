// The department catalog and the connection-rate dashboard, end to end (the issue's requirement: "a
// department admin imports items, registers a client; a citizen logs in through that client; the
// dashboard shows the rate change and the chart is drawn").
//
// Seeded with yimen's CLI: two departments (市民政局 with the system 婚姻登记系统 and no items yet;
// 市公安局 with 户籍管理系统 and two items, never given a client), 李敏 as department_admin of 市民政局,
// 王审计 as auditor, and a "管理控制台" client that requires two factors, through which both sign in
// (password, then an SMS code from the outbox), as tests/it/console.rs does: the console wants a recent
// two-factor sign-in.
//
// In the browser 李敏 uploads a bad CSV (refused, nothing written) then a good one, registers an OIDC
// client for 婚姻登记系统 and reads the once-shown secret; a second RP is configured with exactly those
// credentials; 张三 signs in through it on a phone; the dashboard goes from 0.0 % to 75.0 % for 市民政局
// (three of its four items have a system with a client; 殡葬补贴 has no system) and the auditor sees the
// whole platform at 50.0 % (3 of 6).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { scenario, openLoginFromRp, signIn, allowConsent, clickToNewPage } from './lib/scenario.js';
import { startRpFor } from './lib/rp.js';
import { launch, screenshot, PHONE } from './lib/browser.js';
import { horizontalOverflow, axeViolations } from './lib/checks.js';

const ADMIN = Object.freeze({ name: '李敏', idNumber: '440301199003071230', phone: '13700137000', password: 'copper-kettle-meadow-4' });
const AUDITOR = Object.freeze({ name: '王审计', idNumber: '350102198506120048', phone: '13600136000', password: 'velvet-orchard-canyon-7' });

const CIVIL = '市民政局';
const SYSTEM = '婚姻登记系统';
const POLICE = '市公安局';
const POLICE_SYSTEM = '户籍管理系统';

const HEADER = '事项编码,事项名称,事项类型,服务对象,服务主题,业务系统';
// Line 3 names an audience that does not exist; lines 2 and 4 are fine but must not be written either.
const BAD_CSV = `${HEADER}
MZ-001,结婚登记,行政许可,自然人,P12,${SYSTEM}
MZ-002,离婚登记,行政许可,外国人,P12,${SYSTEM}
MZ-003,补领结婚证,公共服务,自然人,P12,${SYSTEM}
`;
// Three items on 婚姻登记系统 and one without a system (never connectable): 3 of 4 after a login.
const GOOD_CSV = `${HEADER}
MZ-001,结婚登记,行政许可,自然人,P12,${SYSTEM}
MZ-002,离婚登记,行政许可,自然人,P12,${SYSTEM}
MZ-003,补领结婚证,公共服务,自然人,P12,${SYSTEM}
MZ-004,殡葬补贴,公共服务,自然人,P16,
`;
const CONNECTABLE = [['MZ-001', '结婚登记'], ['MZ-002', '离婚登记'], ['MZ-003', '补领结婚证']];
const POLICE_CSV = `${HEADER}
GA-001,户口迁移,行政许可,自然人,P03,${POLICE_SYSTEM}
GA-002,居住证办理,公共服务,自然人,P03,${POLICE_SYSTEM}
`;

const DEPARTMENT_CHART = '各部门接入率（竖线为目标）';

/**
 * Seeds by CLI: 市民政局 with 婚姻登记系统 (no items), 市公安局 with 户籍管理系统 and two items (no client),
 * 李敏 as department_admin of 市民政局, 王审计 as auditor, and the "管理控制台" client (two factors
 * required) with an RP of its own, through which the administrators sign in.
 */
async function seedCatalog(yimen, t) {
  const out = async (args, options) => (await yimen.cli(args, options)).stdout.trim();
  const civilId = await out(['catalog', 'add-department', '--name', CIVIL]);
  await out(['catalog', 'add-department', '--name', POLICE]);
  await out(['catalog', 'add-system', '--department', CIVIL, '--name', SYSTEM]);
  await out(['catalog', 'add-system', '--department', POLICE, '--name', POLICE_SYSTEM]);
  const policeFile = join(yimen.dataDir, 'police-items.csv');
  await writeFile(policeFile, POLICE_CSV);
  assert.match(await out(['catalog', 'import', policeFile, '--department', POLICE]), /imported: 2 new, 0 updated/);
  await yimen.addCitizen(ADMIN);
  await yimen.addCitizen(AUDITOR);
  await out(['role', 'grant', '--account', ADMIN.phone, '--role', 'department_admin', '--scope', civilId]);
  await out(['role', 'grant', '--account', AUDITOR.phone, '--role', 'auditor']);
  const consoleRp = await startRpFor(t);
  const consoleClient = JSON.parse(await out(['client', 'add', '--name', '管理控制台', '--redirect-uri', consoleRp.redirectUri,
    '--require-mfa', '--scope', 'openid profile', '--json']));
  await consoleRp.configure({ issuer: yimen.issuer, clientId: consoleClient.client_id, clientSecret: consoleClient.client_secret, scope: 'openid profile' });
  return { civilId, consoleRp };
}

/** Signs `person` in through `consoleRp` (a client that requires two factors): password, SMS code, consent. */
async function signInWithTwoFactors(page, yimen, consoleRp, person) {
  await openLoginFromRp(page, consoleRp, yimen);
  await signIn(page, person.phone, person.password);
  assert.equal(new URL(page.url()).pathname, '/login/second', 'the system asks for a second factor');
  const seen = (await yimen.smsOutbox(person.phone)).length;
  await clickToNewPage(page, page.locator('form[action="/login/second/code"] button[type="submit"]'));
  const sms = await yimen.nextSms(person.phone, seen);
  await page.locator('#code').fill(sms.params.code);
  await page.locator('form[action="/login/second"] button[type="submit"]').click();
  await allowConsent(page, consoleRp);
  const { amr } = consoleRp.lastLogin.claims;
  assert.ok(amr.includes('mfa'), `two factors: ${JSON.stringify(amr)}`);
}

/** Runs `action` (a form submission) and returns the status of the POST response it caused. */
async function postStatus(page, pathname, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === pathname && r.request().method() === 'POST'),
    action(),
  ]);
  return response.status();
}

/** What the dashboard shows: headline, department table, missing items by department, trend note. */
function readDashboard(page) {
  return page.evaluate(() => {
    const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : null);
    const rows = (selector) => [...document.querySelectorAll(selector)].map((tr) => [...tr.children].map(text));
    const missingSection = document.querySelector('section[aria-labelledby="missing-title"]');
    const missing = {};
    for (const h3 of missingSection.querySelectorAll('h3')) {
      const table = h3.nextElementSibling;
      missing[h3.firstChild.textContent.trim()] = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map(text));
    }
    const trend = document.querySelector('section[aria-labelledby="trend-title"]');
    return {
      rate: text(document.querySelector('#headline-rate')),
      counts: text(document.querySelector('#headline-counts')),
      target: text(document.querySelector('#headline-rate + p')),
      departments: rows('#departments tbody tr'),
      missingSummary: text(missingSection.querySelector('p')),
      missing,
      trendNote: text(trend.querySelector('p')),
      trendCharts: trend.querySelectorAll('svg').length,
    };
  });
}

/**
 * The department chart: role, name, and what is drawn — the bars (rects other than the white background),
 * the target line (path/polyline), the department names as text.
 */
function readDepartmentChart(page) {
  return page.locator('#department-chart svg').evaluate((svg) => {
    const rects = [...svg.querySelectorAll('rect')].map((r) => ({
      width: Number(r.getAttribute('width')),
      height: Number(r.getAttribute('height')),
      fill: (r.getAttribute('fill') || '').toLowerCase(),
    }));
    const box = svg.getBoundingClientRect();
    return {
      role: svg.getAttribute('role'),
      title: svg.querySelector('title')?.textContent,
      bars: rects.filter((r) => r.fill !== '#ffffff' && r.fill !== 'white' && r.fill !== 'none'),
      rects: rects.length,
      lines: svg.querySelectorAll('path, polyline, line').length,
      texts: [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean),
      // Where the x axis says 0 % and 100 %, to check a bar's length against its rate.
      axis: Object.fromEntries([...svg.querySelectorAll('text')]
        .filter((t) => ['0%', '100%'].includes(t.textContent.trim()))
        .map((t) => [t.textContent.trim(), Number(t.getAttribute('x'))])),
      shown: { width: Math.round(box.width), height: Math.round(box.height) },
    };
  });
}

async function assertChartNamed(page) {
  const img = page.getByRole('img', { name: DEPARTMENT_CHART, exact: true });
  assert.equal(await img.count(), 1, 'the department chart is an image with its accessible name');
  assert.ok(await img.isVisible(), 'and it is on the page');
}

scenario('a department admin imports items and registers a client; a citizen signs in through it; the dashboard shows the rate change and draws the chart', { timeout: 240_000, browser: { bypassCSP: true } }, async ({ yimen, citizen, page, t }) => {
  const serverErrors = [];
  page.on('response', (r) => { if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`); });

  t.diagnostic(`backend: ${yimen.backend}`);
  const { civilId, consoleRp } = await seedCatalog(yimen, t);

  // --- The department admin signs in with two factors and finds the department -------------------------
  await signInWithTwoFactors(page, yimen, consoleRp, ADMIN);
  await page.goto(yimen.url('/admin/catalog'));
  assert.equal(await page.locator('#page-title').innerText(), '部门、业务系统与事项');
  const listed = await page.locator('#departments tbody th a').allInnerTexts();
  assert.deepEqual(listed, [CIVIL], 'a department admin sees only their own department');
  await clickToNewPage(page, page.getByRole('link', { name: CIVIL, exact: true }));
  const departmentPath = `/admin/catalog/departments/${civilId}`;
  assert.equal(new URL(page.url()).pathname, departmentPath);
  assert.equal(await page.locator('#page-title').innerText(), CIVIL);
  assert.equal(await page.locator('#item-count').innerText(), '共 0 项。');

  // --- Import: a bad file changes nothing, and says which row ------------------------------------------
  const importPath = `${departmentPath}/import`;
  const importButton = page.locator(`form[action="${importPath}"] button[type="submit"]`);
  await page.locator('#import-file').setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_CSV) });
  let status = await postStatus(page, importPath, () => clickToNewPage(page, importButton));
  assert.equal(status, 422, 'a file with a bad row is refused');
  assert.equal(await page.locator('#page-error').innerText(), '未导入任何事项：文件中有 1 处问题，请修改后重新上传。');
  assert.equal(await page.locator('#page-error').getAttribute('role'), 'alert');
  const problems = await page.locator('#import-errors li').allInnerTexts();
  assert.equal(problems.length, 1, `one problem listed: ${JSON.stringify(problems)}`);
  assert.match(problems[0], /^第 3 行，服务对象：.*外国人/, 'the problem names its line, field and the bad value');
  assert.equal(await page.locator('#item-count').innerText(), '共 0 项。', 'all or nothing: the good rows were not written');
  assert.equal(await page.locator(`table[aria-labelledby="items"]`).count(), 0, 'no items listed');

  await page.locator('#import-file').setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(GOOD_CSV) });
  status = await postStatus(page, importPath, () => clickToNewPage(page, importButton));
  assert.equal(status, 303, 'a clean file is written, then the page is shown again');
  assert.equal(new URL(page.url()).pathname, departmentPath);
  assert.equal(await page.getByRole('status').innerText(), '已导入：新增 4 项，更新 0 项。');
  assert.equal(await page.locator('#item-count').innerText(), '共 4 项。');
  const items = await page.locator('table[aria-labelledby="items"] tbody tr').evaluateAll(
    (rows) => rows.map((tr) => [...tr.children].map((c) => c.textContent.replace(/\s+/g, ' ').trim())),
  );
  assert.deepEqual(items.map((row) => row[0]).sort(), ['MZ-001 结婚登记', 'MZ-002 离婚登记', 'MZ-003 补领结婚证', 'MZ-004 殡葬补贴']);
  const byCode = Object.fromEntries(items.map((row) => [row[0].split(' ')[0], row]));
  assert.deepEqual([byCode['MZ-001'][1], byCode['MZ-001'][2], byCode['MZ-001'][4]], ['行政许可', '自然人', SYSTEM]);
  assert.deepEqual([byCode['MZ-003'][1], byCode['MZ-003'][4]], ['公共服务', SYSTEM]);
  assert.notEqual(byCode['MZ-001'][3], '', 'the theme P12 is shown by name');
  assert.equal(byCode['MZ-004'][4], '', '殡葬补贴 has no system');

  // --- Register an OIDC client for the system; the secret is shown once ----------------------------------
  const deptRp = await startRpFor(t);
  assert.equal(await page.locator('#client-system option:checked').innerText(), SYSTEM);
  await page.locator('#redirect_uris').fill(deptRp.redirectUri);
  await page.locator('#post_logout_redirect_uris').fill(deptRp.postLogoutRedirectUri);
  await page.locator('#backchannel_logout_uri').fill(deptRp.backchannelLogoutUri);
  status = await postStatus(page, departmentPath,
    () => clickToNewPage(page, page.locator('form[aria-labelledby="register-client"] button[type="submit"]')));
  assert.equal(status, 201);
  assert.equal(await page.locator('#page-title').innerText(), '客户端已注册');
  assert.equal(await page.getByRole('status').innerText(), '客户端已注册。密钥只显示这一次。');
  assert.equal(await page.getByRole('alert').innerText(), '请立即复制客户端密钥并安全保存。离开此页后将无法再次查看。');
  assert.match(await page.locator('main').innerText(), new RegExp(`业务系统：\\s*${SYSTEM}`));
  const settings = await page.locator('#integration').evaluate((dl) => {
    const map = {};
    for (const dt of dl.querySelectorAll('dt')) map[dt.textContent.trim()] = dt.nextElementSibling.innerText.trim();
    return map;
  });
  const clientId = settings.client_id;
  const clientSecret = settings.client_secret;
  assert.equal(await page.locator('#client-id').innerText(), clientId);
  assert.ok(clientId && clientSecret && clientSecret.length >= 30, `client_id and a secret are shown: ${JSON.stringify(settings)}`);
  assert.equal(settings['签发者（issuer）'], yimen.issuer);
  assert.equal(settings['发现文档'], `${yimen.issuer}/.well-known/openid-configuration`);
  assert.equal(settings['回调地址'], deptRp.redirectUri);
  assert.equal(settings.token_endpoint_auth_method, 'client_secret_basic');
  const scopes = settings['可申请的 scope'].split(/\s+/);
  assert.ok(scopes.includes('openid') && scopes.includes('profile'), `scopes: ${scopes}`);
  // The discovery URL on the page is the one a department's developer would use: it answers.
  const discovery = await (await fetch(settings['发现文档'])).json();
  assert.equal(discovery.issuer, yimen.issuer);

  // Back on the department page the client is listed, not yet connected; the secret is not shown again.
  await clickToNewPage(page, page.getByRole('link', { name: '返回部门页面' }));
  const systemRow = page.locator('table[aria-labelledby="systems"] tbody tr').filter({ hasText: SYSTEM });
  assert.match(await systemRow.innerText(), new RegExp(`${clientId}[\\s\\S]*尚无成功登录`));
  assert.match(await systemRow.innerText(), /退出通知：已送达 0，待送 0，失败 0/, 'the back-channel logout status is shown');
  assert.doesNotMatch(await page.content(), new RegExp(clientSecret), 'the secret is shown once only');

  // The test RP, configured with exactly what the page showed.
  await deptRp.configure({ issuer: settings['签发者（issuer）'], clientId, clientSecret, scope: 'openid profile' });

  // --- Before any login: 0 of 4 connected, three registered, all four missing ---------------------------
  await page.goto(yimen.url('/dashboard'));
  assert.equal(await page.locator('#page-title').innerText(), '统一身份认证接入率');
  let dashboard = await readDashboard(page);
  assert.equal(dashboard.rate, '0.0%');
  assert.equal(dashboard.counts, '4 项在用事项中，0 项已接入（3 项已注册客户端，0 项近期有登录）。');
  assert.equal(dashboard.target, '目标 90.0% · 未达标');
  assert.deepEqual(dashboard.departments, [[CIVIL, '0.0%', '0 / 4', '3']], 'their own department only');
  assert.equal(dashboard.missingSummary, '共 4 项未接入，下面按部门列出 4 项。');
  assert.deepEqual(Object.keys(dashboard.missing), [CIVIL]);
  const missingBefore = Object.fromEntries(dashboard.missing[CIVIL].map(([item, system, reason]) => [item, [system, reason]]));
  for (const [code, name] of CONNECTABLE) {
    assert.deepEqual(missingBefore[`${code} ${name}`], [SYSTEM, '已注册，尚无成功登录'], `${code} is missing: registered, no login yet`);
  }
  assert.deepEqual(missingBefore['MZ-004 殡葬补贴'], ['', '未关联业务系统']);
  assert.ok(!JSON.stringify(dashboard).includes('GA-00'), 'nothing of another department');
  // A trend needs two days of snapshots; a platform seeded today has one.
  assert.equal(dashboard.trendNote, '每日快照满两天后显示趋势。');
  assert.equal(dashboard.trendCharts, 0);
  await assertChartNamed(page);
  let chart = await readDepartmentChart(page);
  assert.equal(chart.role, 'img');
  assert.equal(chart.title, DEPARTMENT_CHART);
  assert.ok(chart.texts.includes(CIVIL), `the bar is labelled with the department: ${JSON.stringify(chart.texts)}`);
  assert.ok(chart.lines >= 1, 'the target line (and axes) are drawn');
  assert.ok(chart.shown.width > 100 && chart.shown.height > 40, `the chart takes room on the page: ${JSON.stringify(chart.shown)}`);
  assert.equal(chart.bars.length, 1, `one bar, for the one department: ${JSON.stringify(chart.bars)}`);
  assert.equal(chart.bars[0].width, 0, '0 %: the bar has no length yet');

  // --- 张三 signs in through the department's new client, on his phone -----------------------------------
  const phone = await launch(PHONE);
  t.after(() => phone.close());
  await openLoginFromRp(phone.page, deptRp, yimen);
  assert.match(await phone.page.locator('main').innerText(), new RegExp(SYSTEM), 'the login page names the system');
  await signIn(phone.page, citizen.phone, citizen.password);
  await allowConsent(phone.page, deptRp);
  assert.equal(deptRp.errors.length, 0, `the RP reported errors: ${deptRp.errors.map((e) => e.error?.message)}`);
  const { claims, userinfo } = deptRp.lastLogin;
  assert.equal(claims.iss, yimen.issuer);
  assert.equal(claims.aud, clientId, 'the ID token is for the client registered on the page');
  assert.ok(claims.sub);
  assert.equal(userinfo.name, '张三');

  // --- The dashboard again: 3 of 4, the three items no longer missing, the bar drawn ------------------
  await page.reload();
  dashboard = await readDashboard(page);
  assert.equal(dashboard.rate, '75.0%');
  assert.equal(dashboard.counts, '4 项在用事项中，3 项已接入（3 项已注册客户端，3 项近期有登录）。');
  assert.equal(dashboard.target, '目标 90.0% · 未达标');
  assert.deepEqual(dashboard.departments, [[CIVIL, '75.0%', '3 / 4', '3']]);
  assert.equal(dashboard.missingSummary, '共 1 项未接入，下面按部门列出 1 项。');
  assert.deepEqual(dashboard.missing, { [CIVIL]: [['MZ-004 殡葬补贴', '', '未关联业务系统']] }, 'only the item without a system is still missing');
  await assertChartNamed(page);
  chart = await readDepartmentChart(page);
  const drawn = chart.bars.filter((bar) => bar.width > 0 && bar.height > 0);
  assert.equal(drawn.length, 1, `one bar is drawn for the department: ${JSON.stringify(chart.bars)}`);
  const full = chart.axis['100%'] - chart.axis['0%'];
  assert.ok(Math.abs(drawn[0].width - 0.75 * full) <= 3,
    `the bar is 75 % of the axis: ${drawn[0].width} of ${full} (${JSON.stringify(chart.axis)})`);
  assert.ok(chart.texts.includes(CIVIL));

  // The department page says the client is connected now.
  await page.goto(yimen.url(departmentPath));
  assert.match(await systemRow.innerText(), new RegExp(`${clientId}[\\s\\S]*已接入：首次登录`));

  // --- At 360 px the dashboard does not scroll sideways ----------------------------------------------
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(yimen.url('/dashboard'));
  t.diagnostic(`screenshot: ${await screenshot(page, 'dashboard-360')}`);
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= 360,
    `the dashboard scrolls sideways at 360 px: scrollWidth ${overflow.scrollWidth}; widest elements: ${JSON.stringify(overflow.culprits)}`);
  chart = await readDepartmentChart(page);
  assert.ok(chart.shown.width <= 360 && chart.shown.width > 200, `the chart scales down to the screen: ${JSON.stringify(chart.shown)}`);
  const top = async (selector) => (await page.locator(selector).boundingBox()).y;
  assert.ok(await top('#headline-rate') < await top('form.filters'), 'on a phone the headline rate comes before the filters');

  // --- At 1,280 px the dashboard uses the width: charts side by side, a page of sensible height -------
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(yimen.url('/dashboard'));
  t.diagnostic(`screenshot: ${await screenshot(page, 'dashboard-1280')}`);
  const trend = await page.locator('#trend-title').boundingBox();
  const departmentsTitle = await page.locator('#departments-title').boundingBox();
  assert.ok(Math.abs(trend.y - departmentsTitle.y) < 2 && departmentsTitle.x > trend.x + 300,
    `the trend and the departments sit side by side: ${JSON.stringify({ trend, departmentsTitle })}`);
  const wide = await horizontalOverflow(page);
  assert.ok(wide.scrollWidth <= 1280, `no sideways scrolling at 1,280 px: ${JSON.stringify(wide)}`);
  assert.deepEqual(await axeViolations(page), [], 'axe-core: no serious or critical violation on the dashboard');
  await page.goto(yimen.url(departmentPath));
  assert.deepEqual(await axeViolations(page), [], 'axe-core: none on the department page with its client list and forms');
  await page.goto(yimen.url('/dashboard'));
  assert.equal(await page.locator('nav.jump a').count(), 3, 'jump links to the sections');
  await page.setViewportSize({ width: 360, height: 740 });

  // --- The auditor sees the whole platform: 3 of 6 ----------------------------------------------------
  const desk = await launch();
  t.after(() => desk.close());
  await signInWithTwoFactors(desk.page, yimen, consoleRp, AUDITOR);
  await desk.page.goto(yimen.url('/dashboard'));
  const overall = await readDashboard(desk.page);
  assert.equal(overall.rate, '50.0%');
  assert.equal(overall.counts, '6 项在用事项中，3 项已接入（3 项已注册客户端，3 项近期有登录）。');
  assert.deepEqual(overall.departments, [[POLICE, '0.0%', '0 / 2', '0'], [CIVIL, '75.0%', '3 / 4', '3']], 'furthest behind first');
  assert.deepEqual(overall.missing[POLICE], [
    ['GA-001 户口迁移', POLICE_SYSTEM, '业务系统未注册客户端'],
    ['GA-002 居住证办理', POLICE_SYSTEM, '业务系统未注册客户端'],
  ]);
  assert.deepEqual(overall.missing[CIVIL], [['MZ-004 殡葬补贴', '', '未关联业务系统']]);
  await assertChartNamed(desk.page);
  const platformChart = await readDepartmentChart(desk.page);
  assert.ok(platformChart.texts.includes(CIVIL) && platformChart.texts.includes(POLICE), `both departments labelled: ${JSON.stringify(platformChart.texts)}`);
  assert.equal(platformChart.bars.filter((bar) => bar.width > 0 && bar.height > 0).length, 1, 'one bar drawn (市公安局 is at 0 %)');

  assert.deepEqual(serverErrors, [], 'no server errors');
});

scenario('import refusal wording on a Chinese page', async ({ yimen, page, t }) => {
  const { civilId, consoleRp } = await seedCatalog(yimen, t);
  await signInWithTwoFactors(page, yimen, consoleRp, ADMIN);
  const departmentPath = `/admin/catalog/departments/${civilId}`;
  await page.goto(yimen.url(departmentPath));
  await page.locator('#import-file').setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_CSV) });
  await clickToNewPage(page, page.locator(`form[action="${departmentPath}/import"] button[type="submit"]`));
  const problems = await page.locator('#import-errors li').allInnerTexts();
  assert.equal(problems.length, 1);
  // The column is named as the page's hint names it (服务对象), and the reason is Chinese; only the value
  // the person typed may appear as it was typed.
  assert.match(problems[0], /^第 3 行，服务对象：/, `the field is named in Chinese: "${problems[0]}"`);
  assert.doesNotMatch(problems[0], /[A-Za-z]/, `no English on a Chinese page: "${problems[0]}"`);
});

scenario('the console navigation offers a department admin only pages they may open', async ({ yimen, page, t }) => {
  const { consoleRp } = await seedCatalog(yimen, t);
  await signInWithTwoFactors(page, yimen, consoleRp, ADMIN);
  await page.goto(yimen.url('/admin/catalog'));
  const links = await page.getByRole('navigation', { name: '管理控制台' }).getByRole('link').evaluateAll(
    (anchors) => anchors.map((a) => ({ name: a.textContent.trim(), href: a.getAttribute('href') })),
  );
  assert.ok(links.length > 0, 'the console has a navigation');
  const refused = [];
  for (const link of links) {
    const response = await page.goto(yimen.url(link.href));
    if (response.status() !== 200) refused.push(`${link.name} (${link.href}): ${response.status()} "${(await page.locator('main').innerText()).trim().slice(0, 80)}"`);
  }
  assert.deepEqual(refused, [], 'every link in the console navigation opens for a department admin');
});
