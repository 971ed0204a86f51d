// The Python example (examples/python-authlib, Authlib with Flask) against yimen, as a department
// developer would run it: sign in through yimen in Chromium, the ID token and UserInfo, refreshing the
// tokens, and logging out at yimen back to the example.

import { join } from 'node:path';
import { REPO_ROOT, freePort } from './lib/yimen.js';
import { startPythonFor } from './lib/python.js';
import { scenario } from './lib/scenario.js';
import { walkExample } from './lib/example.js';

scenario('the Python example signs a citizen in, refreshes its tokens and signs out', async ({ yimen, citizen, page, t }) => {
  // The example's address is registered before it starts: a port is chosen for it, and it is told.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const client = await yimen.addClient({
    name: '示例系统',
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/`,
    scope: 'openid profile',
  });
  const example = await startPythonFor(t, join(REPO_ROOT, 'examples', 'python-authlib', 'app.py'), {
    YIMEN_ISSUER: yimen.issuer, CLIENT_ID: client.client_id, CLIENT_SECRET: client.client_secret,
  }, port);
  await walkExample({ page, base, yimen, citizen, output: example.output });
});
