// Languages: a browser asking for English gets English pages, the header switch goes to Chinese and
// stays there; an RP's ui_locales=en gives English to a Chinese browser.

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp, signIn } from './lib/scenario.js';

const lang = (page) => page.locator('html').getAttribute('lang');
const switchLink = (page) => page.locator('header a[href^="/lang?"]');

scenario('English: Accept-Language en gives an English login page; the header switch changes it to Chinese', {
  browser: { locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } },
}, async ({ yimen, rp, citizen, page }) => {
  const loginUrl = await openLoginFromRp(page, rp, yimen);
  assert.equal(await lang(page), 'en', 'html lang is en');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  assert.equal(await page.locator('label[for="account"]').innerText(), 'Mobile number or ID number');
  assert.equal(await page.locator('label[for="password"]').innerText(), 'Password');
  assert.match(await page.title(), /Sign in/);

  const link = switchLink(page);
  assert.equal(await link.count(), 1, 'one language switch in the header');
  assert.equal((await link.innerText()).trim(), '中文', 'the switch offers Chinese, written in Chinese');
  assert.equal(await link.getAttribute('lang'), 'zh-CN', 'the switch text is marked as Chinese');
  await Promise.all([page.waitForURL((url) => url.pathname === '/login'), link.click()]);

  assert.equal(await lang(page), 'zh-CN', 'after the switch the page is Chinese');
  assert.equal(await page.locator('h1').innerText(), '登录');
  assert.equal(await page.locator('label[for="account"]').innerText(), '手机号或身份证号');
  assert.equal(new URL(page.url()).search, loginUrl.search, 'the switch returns to the same sign-in request');
  assert.equal((await switchLink(page).innerText()).trim(), 'English', 'and now offers English');

  // The choice is remembered over the browser's Accept-Language: a reload stays Chinese.
  await page.reload();
  assert.equal(await lang(page), 'zh-CN', 'the language choice survives a reload');

  // The sign-in still works after switching, and the consent page follows the chosen language.
  await signIn(page, citizen.idNumber, citizen.password);
  await page.waitForURL((url) => url.pathname === '/consent');
  assert.equal(await lang(page), 'zh-CN');
  assert.equal(await page.locator('h1').innerText(), '授权确认');
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(rp.redirectUri)),
    page.locator('button[name="decision"][value="allow"]').click(),
  ]);
  await page.locator('#rp-signed-in').waitFor();
  assert.equal(rp.lastLogin?.userinfo.name, citizen.name, 'signed in with the ID number after switching language');
});

scenario('English: ui_locales=en from the RP gives English pages to a Chinese browser', async ({ yimen, rp, page }) => {
  await openLoginFromRp(page, rp, yimen, '?ui_locales=en');
  assert.equal(await lang(page), 'en');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  assert.equal((await switchLink(page).innerText()).trim(), '中文');
});

// Guards a fixed yimen accessibility bug: the header switch had aria-label="切换到英文" while it showed
// "English", so its accessible name did not contain its visible text (WCAG 2.2 SC 2.5.3 Label in Name)
// and a voice-control user saying "click English" found nothing.
scenario('language switch: its accessible name is the text it shows (WCAG 2.5.3), in both languages', async ({ yimen, rp, page }) => {
  await openLoginFromRp(page, rp, yimen);
  for (const expected of ['English', '中文']) {
    const link = switchLink(page);
    const visible = (await link.innerText()).trim();
    assert.equal(visible, expected, 'the switch shows the other language');
    assert.equal(await page.getByRole('link', { name: visible, exact: true }).count(), 1,
      `no link whose accessible name is "${visible}" (aria-label is "${await link.getAttribute('aria-label')}")`);
    if (expected === 'English') {
      await Promise.all([page.waitForURL((url) => url.pathname === '/login'), link.click()]);
      assert.equal(await lang(page), 'en');
    }
  }
});
