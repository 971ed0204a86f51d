// One browser scenario = a fresh yimen (own port, own database), the test RP registered as a client,
// the test citizen, and a fresh browser context. Everything is torn down when the test ends, pass or
// fail; on failure a screenshot goes to tests/artefacts/failure-NAME.png and yimen's log is appended to
// the error.

import { test } from 'node:test';
import { startYimenFor, CITIZEN } from './yimen.js';
import { startRpFor } from './rp.js';
import { launch, screenshot } from './browser.js';

/**
 * Declares a test that gets { yimen, rp, client, citizen, page, context, browser }.
 *   options.browser  Playwright context options (viewport, locale, isMobile, …)
 *   options.seed     false to skip the citizen (the RP client is always registered)
 *   options.yimenEnv extra environment for yimen serve
 *   options.scope    the scopes the RP client is registered with (`yimen client add --scope`) and asks for
 *   options.minAcr   the lowest assurance level the RP client accepts (`yimen client add --min-acr`)
 *   options.singleLogout  true to register the RP's front- and back-channel logout URIs
 *   options.todo / options.skip  as node:test
 */
export function scenario(name, options, fn) {
  if (typeof options === 'function') {
    fn = options;
    options = {};
  }
  const { browser: browserOptions = {}, seed = true, yimenEnv, scope, minAcr, singleLogout, todo, skip, timeout = 120_000 } = options;
  return test(name, { todo, skip, timeout }, async (t) => {
    const yimen = await startYimenFor(t, { env: yimenEnv });
    const rp = await startRpFor(t);
    const client = await yimen.addClient({
      name: '社保查询系统',
      redirectUri: rp.redirectUri,
      postLogoutRedirectUri: rp.postLogoutRedirectUri,
      scope,
      minAcr,
      frontchannelLogoutUri: singleLogout ? rp.frontchannelLogoutUri : undefined,
      backchannelLogoutUri: singleLogout ? rp.backchannelLogoutUri : undefined,
    });
    if (seed) await yimen.addCitizen(CITIZEN);
    await rp.configure({ issuer: yimen.issuer, clientId: client.client_id, clientSecret: client.client_secret, scope });
    const browser = await launch(browserOptions);
    t.after(() => browser.close());
    const { page, context } = browser;
    try {
      await fn({ yimen, rp, client, citizen: CITIZEN, page, context, browser, t });
    } catch (error) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 60);
      let shot = '';
      try { shot = await screenshot(page, `failure-${slug}`); } catch { /* the page may be gone */ }
      const rpErrors = rp.errors.map((e) => `${e.url}: ${e.error?.stack || e.error}`).join('\n');
      error.message += `\n  at page: ${safeUrl(page)}`
        + (shot ? `\n  screenshot: ${shot}` : '')
        + (rpErrors ? `\n  RP errors:\n${rpErrors}` : '')
        + `\n  yimen (${yimen.backend}) log tail:\n${yimen.output().slice(-3000)}`;
      throw error;
    }
  });
}

function safeUrl(page) {
  try { return page.url(); } catch { return '(closed)'; }
}

/** From the RP's login link to yimen's login page; returns the page's URL. */
export async function openLoginFromRp(page, rp, yimen, query = '') {
  await page.goto(rp.loginUrl + query);
  await page.waitForURL((url) => url.origin === new URL(yimen.issuer).origin && url.pathname === '/login');
  return new URL(page.url());
}

/**
 * Clicks something that loads a new document (a form's submit button, a link) and waits until the new
 * document has loaded, also when it has the same URL as the old one (a form shown again with an error).
 */
export function clickToNewPage(page, locator) {
  return toNewPage(page, () => locator.click());
}

/** Runs `action` (which makes the page load a new document) and waits until the new document has loaded. */
export async function toNewPage(page, action) {
  await page.evaluate(() => { window.__yimenOldPage = true; });
  await action();
  await page.waitForFunction(() => !window.__yimenOldPage && document.readyState === 'complete');
}

/** On the second-factor page: sends the SMS code to `phone`, reads it from yimen's outbox and submits it. */
export async function secondFactor(page, yimen, phone) {
  const seen = (await yimen.smsOutbox(phone)).length;
  await clickToNewPage(page, page.locator('form[action="/login/second/code"] button[type="submit"]'));
  const sms = await yimen.nextSms(phone, seen);
  await page.locator('#code').fill(sms.params.code);
  await clickToNewPage(page, page.locator('form[action="/login/second"] button[type="submit"]'));
}

/** Fills and submits yimen's login form. */
export async function signIn(page, account, password) {
  await page.locator('#account').fill(account);
  await page.locator('#password').fill(password);
  await clickToNewPage(page, page.locator('form[action="/login"] button[type="submit"]'));
}

/** On yimen's consent page: "allow", then wait until the RP has finished the sign-in. */
export async function allowConsent(page, rp) {
  await page.waitForURL((url) => url.pathname === '/consent');
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.redirectUri)),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  await page.locator('#rp-signed-in').waitFor();
}

/** Waits until the browser is back at the RP's callback and the RP has finished the sign-in. */
export async function backAtRp(page, rp) {
  await page.waitForURL((url) => url.href.startsWith(rp.redirectUri));
  await page.locator('#rp-signed-in').waitFor();
}

/** Signs out at yimen without a hint: /logout, then "退出登录" on the confirmation page. */
export async function signOut(page, yimen) {
  await page.goto(yimen.url('/logout'));
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/logout/confirm'),
    page.locator('button[name="decision"][value="logout"]').click(),
  ]);
}
