// Starts a real yimen server for one test: a free loopback port, fresh state (a new SQLite data dir, or a
// new PostgreSQL database and Redis key prefix when YIMEN_TEST_POSTGRES_URL / YIMEN_TEST_REDIS_URL are
// set), seeded through yimen's own CLI, and stopped and cleaned up afterwards, also when the test fails.
//
// The binary is never built here: YIMEN_BIN (set by scripts/browser-test.sh from its first argument)
// names it, defaulting to target/debug/yimen in the repository.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, access, constants, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..', '..');
export const YIMEN_BIN = resolve(process.env.YIMEN_BIN || join(REPO_ROOT, 'target', 'debug', 'yimen'));

// yimen's development SMS sender appends one JSON line per message to this file in its data dir.
export const SMS_OUTBOX = 'sms-outbox.jsonl';

// The test citizen. The ID number passes the GB 11643 check character.
export const CITIZEN = Object.freeze({
  name: '张三',
  idNumber: '11010519491231002X',
  phone: '13800138000',
  password: 'lantern-quilt-harbour-9',
});

/** A free TCP port on the loopback interface (the kernel picks it; it is released before use). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function run(file, args, { env, input, timeoutMs = 60_000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        error.message = `${file} ${args.join(' ')} failed: ${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`;
        reject(error);
      } else {
        resolveRun({ stdout, stderr });
      }
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

// Live servers, so that an unexpected exit of the test process still ends them.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** A PostgreSQL database of its own for one server, created and dropped with psql. */
async function createDatabase(adminUrl) {
  const name = `yimen_browser_${randomBytes(8).toString('hex')}`;
  await run('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`]);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => run('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

/** Deletes the keys a test server left under its Redis prefix (they expire anyway); needs redis-cli. */
async function deleteRedisPrefix(url, prefix) {
  let keys;
  try {
    ({ stdout: keys } = await run('redis-cli', ['-u', url, '--scan', '--pattern', `${prefix}*`]));
  } catch {
    return; // no redis-cli: the keys expire on their own
  }
  const list = keys.split('\n').filter(Boolean);
  for (let i = 0; i < list.length; i += 200) {
    await run('redis-cli', ['-u', url, 'DEL', ...list.slice(i, i + 200)]);
  }
}

/**
 * Starts yimen. Register `t.after(() => yimen.stop())` (or use `startYimenFor(t)`) so it always stops.
 * The issuer is http://localhost:PORT: browse by that name, not 127.0.0.1 (WebAuthn needs a domain as
 * RP ID, and localhost is a secure context). `port` and `host` choose another: a second yimen in the same
 * browser needs another host name, as cookies are kept per host, whatever the port.
 */
export async function startYimen({ env: extraEnv = {}, port: chosenPort, host = 'localhost' } = {}) {
  try {
    await access(YIMEN_BIN, constants.X_OK);
  } catch {
    throw new Error(`no executable yimen at ${YIMEN_BIN}: build it first (these tests never build it)`);
  }
  const port = chosenPort ?? await freePort();
  const issuer = `http://${host}:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'yimen-browser-'));
  // yimen refuses unknown YIMEN_* variables (YIMEN_BIN, YIMEN_TEST_*, YIMEN_BROWSER_TESTS…) and must not
  // inherit configuration from the developer's shell: pass on no YIMEN_* variable at all.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('YIMEN_')));
  const env = {
    ...inherited,
    YIMEN_LISTEN: `127.0.0.1:${port}`,
    YIMEN_ISSUER: issuer,
    YIMEN_DATA_DIR: dataDir,
    // Real argon2id with cheap parameters.
    YIMEN_PASSWORD__MEMORY_KIB: '4096',
    YIMEN_PASSWORD__ITERATIONS: '1',
    // Stopped at the end of each scenario with no load balancer to tell: no drain.
    YIMEN_HTTP__DRAIN_SECS: '0',
    // yimen::app's info line "yimen is serving" tells this server apart from another one that may answer on
    // the same port (see waitHealthy).
    RUST_LOG: process.env.RUST_LOG || 'warn,yimen::app=info',
    NO_COLOR: '1',
    ...extraEnv,
  };

  const cleanups = [];
  const state = { child: null, stopped: false, log: [] };
  const yimen = {
    port,
    issuer,
    base: issuer,
    dataDir,
    backend: 'SQLite + in-process state',
    env,
    url: (path) => new URL(path, issuer).toString(),
    /** Runs `yimen ARGS…` against the same data dir and database. */
    cli: (args, options = {}) => run(YIMEN_BIN, args, { env, ...options }),
    /** `yimen client add … --json` → {client_id, client_secret, …}; `minAcr` is `--min-acr`; the logout URIs
     *  are `--frontchannel-logout-uri` (with `iss` and `sid`) and `--backchannel-logout-uri`. */
    async addClient({ name = '社保查询系统', redirectUri, postLogoutRedirectUri, scope, minAcr, frontchannelLogoutUri, backchannelLogoutUri } = {}) {
      const args = ['client', 'add', '--name', name, '--redirect-uri', redirectUri];
      if (frontchannelLogoutUri) args.push('--frontchannel-logout-uri', frontchannelLogoutUri, '--frontchannel-logout-session-required');
      if (backchannelLogoutUri) args.push('--backchannel-logout-uri', backchannelLogoutUri);
      if (postLogoutRedirectUri) args.push('--post-logout-redirect-uri', postLogoutRedirectUri);
      if (scope) args.push('--scope', scope);
      if (minAcr) args.push('--min-acr', minAcr);
      args.push('--json');
      const { stdout } = await yimen.cli(args);
      return parseJson(stdout, 'yimen client add --json');
    },
    /** `yimen client add --cas-service SERVICE … --json`: a legacy system speaking CAS 3.0. */
    async addCasService({ name = '不动产登记（旧系统）', service, scope } = {}) {
      const args = ['client', 'add', '--name', name, '--cas-service', service];
      if (scope) args.push('--scope', scope);
      args.push('--json');
      const { stdout } = await yimen.cli(args);
      return parseJson(stdout, 'yimen client add --cas-service --json');
    },
    /** `yimen user add … --password-stdin --json` for the test citizen (or another one). */
    async addCitizen(citizen = CITIZEN) {
      const args = ['user', 'add', '--name', citizen.name, '--id-number', citizen.idNumber,
        '--phone', citizen.phone, '--password-stdin', '--json'];
      const { stdout } = await yimen.cli(args, { input: `${citizen.password}\n` });
      return parseJson(stdout, 'yimen user add --json');
    },
    /** `yimen org add … --json` → the organisation; the representative's account must exist. */
    async addOrganisation({ uscc, name, representativeIdNumber, kind }) {
      const args = ['org', 'add', '--uscc', uscc, '--name', name, '--representative-id-number', representativeIdNumber];
      if (kind) args.push('--kind', kind);
      args.push('--json');
      const { stdout } = await yimen.cli(args);
      return parseJson(stdout, 'yimen org add --json');
    },
    /** The development SMS outbox (<data dir>/sms-outbox.jsonl), optionally only the messages to `to`. */
    async smsOutbox(to) {
      let text = '';
      try {
        text = await readFile(join(dataDir, SMS_OUTBOX), 'utf8');
      } catch (error) {
        if (error.code !== 'ENOENT') throw error;
      }
      // Only complete lines: the last piece is empty, or a line still being written.
      const messages = text.split('\n').slice(0, -1).filter(Boolean).map((line) => parseJson(line, SMS_OUTBOX));
      return to ? messages.filter((message) => message.to === to || message.to === `+86${to}`) : messages;
    },
    /**
     * Waits for a message to `to` beyond the first `seen` ones (count them before asking for a code) and
     * returns it: { at, to, template, params: { code, action, minutes }, text }.
     */
    async nextSms(to, seen, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = await yimen.smsOutbox(to);
        if (messages.length > seen) return messages[seen];
        if (Date.now() > deadline) {
          throw new Error(`no new SMS to ${to} in ${SMS_OUTBOX} within ${timeoutMs} ms (${messages.length} to it, ${seen} seen before)`);
        }
        await new Promise((done) => setTimeout(done, 100));
      }
    },
    /** What the server printed so far (stderr and stdout), for failure messages. */
    // eslint-disable-next-line no-control-regex
    output: () => state.log.join('').replace(/\x1b\[[0-9;]*m/g, ''),
    stop,
  };

  async function stop() {
    if (state.stopped) return;
    state.stopped = true;
    const child = state.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (child) live.delete(child);
    for (const cleanup of cleanups.reverse()) {
      try { await cleanup(); } catch (error) { console.error(`cleanup failed: ${error.message}`); }
    }
  }

  try {
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const postgres = process.env.YIMEN_TEST_POSTGRES_URL;
    const redis = process.env.YIMEN_TEST_REDIS_URL;
    if (postgres) {
      const database = await createDatabase(postgres);
      cleanups.push(database.drop);
      env.YIMEN_DATABASE_URL = database.url;
      yimen.database = database.name;
    }
    if (redis) {
      const prefix = `yimen-browser:${randomBytes(8).toString('hex')}:`;
      env.YIMEN_REDIS_URL = redis;
      env.YIMEN_REDIS_PREFIX = prefix;
      cleanups.push(() => deleteRedisPrefix(redis, prefix));
    }
    if (postgres || redis) {
      yimen.backend = `${postgres ? 'PostgreSQL' : 'SQLite'} + ${redis ? 'Redis' : 'in-process state'}`;
    }

    const child = spawn(YIMEN_BIN, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    state.child = child;
    live.add(child);
    const keep = (chunk) => {
      state.log.push(chunk.toString());
      if (state.log.length > 2000) state.log.splice(0, 1000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const spawnError = new Promise((_, reject) => child.once('error', reject));
    spawnError.catch(() => {});
    await Promise.race([waitHealthy(yimen, child, state), spawnError]);
    return yimen;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts yimen for the test `t` and stops it when the test ends, whether it passed or not. */
export async function startYimenFor(t, options) {
  // A port can be taken between choosing it and yimen binding it: then try another, twice at most.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const yimen = await startYimen(options);
      t.after(() => yimen.stop());
      return yimen;
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test(error.message)) throw error;
    }
  }
}

async function waitHealthy(yimen, child, state, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`yimen exited (${child.exitCode ?? child.signalCode}) before /healthz answered:\n${state.log.join('')}`);
    }
    try {
      const response = await fetch(yimen.url('/healthz'), { signal: AbortSignal.timeout(2_000) });
      // A port handed out twice (two test files start servers at once) lets another yimen answer: count the
      // answer only once this child says it is serving, and is still alive.
      const serving = state.log.join('').includes('yimen is serving') || Boolean(process.env.RUST_LOG);
      if (response.ok && serving) {
        await new Promise((done) => setTimeout(done, 200));
        if (child.exitCode === null && child.signalCode === null) return;
        continue;
      }
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.cause?.code || error.message;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`yimen did not answer /healthz within ${timeoutMs} ms (${last}):\n${state.log.join('')}`);
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} did not print JSON: ${text.slice(0, 300)}`);
  }
}
