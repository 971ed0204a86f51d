// Runs a Python program of the scenarios (an example system, a legacy CAS system) with the packages
// scripts/browser-test.sh installed into target/python, on a free port, until the test ends.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, freePort } from './yimen.js';

export const PYTHON = process.env.YIMEN_PYTHON || join(REPO_ROOT, 'target', 'python', 'bin', 'python');

/**
 * Starts `python SCRIPT` with `env` plus PORT (`chosenPort`, or a free one), waits until it answers on http://127.0.0.1:PORT/, and stops
 * it when `t` ends. Returns { url, output }.
 */
export async function startPythonFor(t, script, env = {}, chosenPort = undefined) {
  const port = chosenPort ?? await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(PYTHON, [script], {
    env: { ...process.env, ...env, PORT: String(port), PUBLIC_URL: url, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => log.push(chunk.toString()));
  child.stderr.on('data', (chunk) => log.push(chunk.toString()));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const output = () => log.join('');
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}:\n${output()}`);
    try {
      await fetch(`${url}/`, { redirect: 'manual' });
      return { url, output };
    } catch {
      if (Date.now() > deadline) throw new Error(`${script} did not answer at ${url} within 20 s:\n${output()}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}
