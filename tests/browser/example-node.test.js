// The Node example (examples/node-openid-client, openid-client 6) against yimen, as a department
// developer would run it: sign in through yimen in Chromium, the ID token and UserInfo, refreshing the
// tokens, and logging out at yimen back to the example.

import { freePort } from './lib/yimen.js';
import { scenario } from './lib/scenario.js';
import { walkExample } from './lib/example.js';
import { start } from '../../examples/node-openid-client/app.js';

scenario('the Node example signs a citizen in, refreshes its tokens and signs out', async ({ yimen, citizen, page, t }) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const client = await yimen.addClient({
    name: '示例系统',
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/`,
    scope: 'openid profile',
  });
  const example = await start({
    issuer: yimen.issuer, clientId: client.client_id, clientSecret: client.client_secret, port, publicUrl: base,
  });
  t.after(() => example.close());
  await walkExample({ page, base, yimen, citizen });
});
