// The README's five-minute walk-through, run as a newcomer runs it. Its shell blocks are read from
// README.md itself (nothing here copies them) and run in bash, one after the other, in a folder laid out
// like a clone (target/release/yimen, ./data) against a server started as `cargo run --release` starts it
// (the binary the tests built, on a free port in place of 8080). The steps a person does in a browser
// (signing in and allowing the system, then the dashboard with its second factor) are done in Chromium,
// and the SMS code is read with the README's own one-liner.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { REPO_ROOT, YIMEN_BIN, freePort, startYimenFor } from './lib/yimen.js';
import { launch, screenshot } from './lib/browser.js';
import { clickToNewPage, signIn } from './lib/scenario.js';

/** The walk-through section of a README: its shell blocks, the address of step 3 and the outbox one-liner. */
async function walkthrough(file, port, callbackPort) {
  const readme = await readFile(join(REPO_ROOT, file), 'utf8');
  const start = readme.indexOf('## Five-minute walk-through');
  assert.ok(start >= 0, `${file} has its walk-through`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme
    .slice(start, end)
    .replaceAll('localhost:8080', `localhost:${port}`)
    .replaceAll('127.0.0.1:9000', `127.0.0.1:${callbackPort}`)
    .replaceAll('127.0.0.1%3A9000', `127.0.0.1%3A${callbackPort}`);
  const shell = [];
  const plain = [];
  let block = null;
  for (const line of section.split('\n')) {
    if (block === null && (line === '```sh' || line === '```')) {
      block = { lines: [], into: line === '```sh' ? shell : plain };
    } else if (block !== null && line === '```') {
      block.into.push(block.lines.join('\n'));
      block = null;
    } else if (block !== null) {
      block.lines.push(line);
    }
  }
  const outbox = section.match(/`(tail -n 1 data\/sms-outbox\.jsonl[^`]*)`/);
  assert.equal(shell.length, 4, 'four steps in the shell: register, create, exchange, report');
  assert.equal(plain.length, 1, 'one address to open');
  assert.ok(outbox, 'the one-liner that reads the newest SMS code');
  return { shell, authorize: plain[0].trim(), outbox: outbox[1] };
}

/** Runs a script in bash as a terminal would (stopping at the first failure), with what the earlier steps exported. */
function bash(folder, script) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('YIMEN_')));
  const saved = join(folder, '.walkthrough-env');
  const whole = `set -euo pipefail\n[ -f ${saved} ] && source ${saved}\n${script}\ndeclare -px > ${saved}\n`;
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', whole], { cwd: folder, env: { ...env, NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the README's commands failed:\n${script}\n${stderr}\n${stdout}`));
        else resolve(stdout);
      });
  });
}

test('the README walk-through runs as written: register, create, sign in, exchange the code, the report and the dashboard', { timeout: 240_000 }, async (t) => {
  const yimen = await startYimenFor(t);
  const folder = await mkdtemp(join(tmpdir(), 'yimen-readme-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  await mkdir(join(folder, 'target', 'release'), { recursive: true });
  await symlink(YIMEN_BIN, join(folder, 'target', 'release', 'yimen'));
  await symlink(yimen.dataDir, join(folder, 'data'));
  // Nothing listens at the README's callback, so the browser shows an error with the code in its address;
  // here something answers there (on a free port in place of 9000), and the code is read from the address.
  const callbackPort = await freePort();
  const callback = `http://127.0.0.1:${callbackPort}/callback`;
  const listener = createServer((_, response) => response.end('the system would take the code from here'));
  await new Promise((resolve) => listener.listen(callbackPort, '127.0.0.1', resolve));
  t.after(() => listener.close());
  const steps = await walkthrough('README.md', yimen.port, callbackPort);

  // 1 and 2: the system registered, the citizen created.
  await bash(folder, steps.shell[0]);
  const client = JSON.parse(await readFile(join(folder, 'client.json'), 'utf8'));
  assert.match(client.client_id, /^ym-/);
  const created = await bash(folder, steps.shell[1]);
  assert.match(created, /created account/);
  const password = steps.shell[1].match(/echo '([^']+)' \| yimen user add/)[1];
  const phone = steps.shell[1].match(/--phone (\d+)/)[1];

  // 3: the address opened in a browser, sign-in and consent.
  const browser = await launch();
  t.after(() => browser.close());
  const { page } = browser;
  try {
    await page.goto(steps.authorize.replace('ym-…', client.client_id));
    await signIn(page, phone, password);
    await page.waitForURL((url) => url.pathname === '/consent');
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(callback)),
      page.locator('button[name="decision"][value="allow"]').click(),
    ]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'xyz');
    const code = landed.searchParams.get('code');
    assert.ok(code, `a code in ${landed}`);

    // 4: the exchange with curl, the code filled in where the README says to paste it.
    const exchange = steps.shell[2].replace(/^export CODE=….*$/m, `export CODE='${code}'`);
    assert.notEqual(exchange, steps.shell[2], 'step 4 says where the code goes');
    const answered = await bash(folder, exchange);
    assert.match(answered, /"access_token":"yat1\./);
    assert.match(answered, /"name":"张三"/, `userinfo names the citizen: ${answered}`);

    // 5: an administrator, the demonstration catalog and the report, while the server runs.
    const reported = await bash(folder, steps.shell[3]);
    assert.match(reported, /granted platform_admin/);
    assert.match(reported, /demo catalog: 44 departments/);
    assert.match(reported, /市民政局/, `the report lists the departments: ${reported.slice(-2000)}`);

    // The dashboard: the console asks for a second factor; the code comes from the README's one-liner.
    await page.goto(yimen.url('/dashboard'));
    assert.equal(new URL(page.url()).pathname, '/login/second', 'the console asks for a second factor');
    await clickToNewPage(page, page.locator('form[action="/login/second/code"] button[type="submit"]'));
    const sms = (await bash(folder, steps.outbox)).trim();
    assert.match(sms, /^\d{6}$/, `the one-liner prints the code: ${sms}`);
    await page.locator('#code').fill(sms);
    await clickToNewPage(page, page.locator('form[action="/login/second"] button[type="submit"]'));
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    assert.match(await page.locator('h1').innerText(), /统一身份认证接入率/);
  } catch (error) {
    let shot = '';
    try { shot = await screenshot(page, 'failure-readme-walkthrough'); } catch { /* the page may be gone */ }
    error.message += `\n  at page: ${page.url()}${shot ? `\n  screenshot: ${shot}` : ''}\n  yimen log tail:\n${yimen.output().slice(-3000)}`;
    throw error;
  }
});
