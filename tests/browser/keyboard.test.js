// Keyboard only: on the login page, Tab walks account → password → submit, and wherever focus is, it
// can be seen (a computed outline that is not 'none').

import assert from 'node:assert/strict';
import { scenario, openLoginFromRp } from './lib/scenario.js';
import { focused, focusOutlineContrast } from './lib/checks.js';

const MAX_TABS_TO_ACCOUNT = 6;

function assertVisibleFocus(state, what) {
  assert.notEqual(state.outlineStyle, 'none', `${what} (${state.element}) has no visible focus outline: ${JSON.stringify(state)}`);
  assert.notEqual(state.outlineWidth, '0px', `${what} (${state.element}) has a zero-width focus outline: ${JSON.stringify(state)}`);
}

scenario('keyboard: Tab reaches account, password and submit on the login page, each with a visible outline', async ({ yimen, rp, page, t }) => {
  await openLoginFromRp(page, rp, yimen);

  // Tab from the top of the page until the account field has focus; everything passed on the way
  // (the skip link, the language switch) must show its focus too.
  const passed = [];
  let state = await focused(page);
  while (state.id !== 'account') {
    assert.ok(passed.length < MAX_TABS_TO_ACCOUNT,
      `#account not reached after ${MAX_TABS_TO_ACCOUNT} Tabs; focus went through: ${passed.map((s) => s.element).join(' → ')}`);
    await page.keyboard.press('Tab');
    state = await focused(page);
    passed.push(state);
    assertVisibleFocus(state, `Tab stop ${passed.length}`);
    if (passed.length === 1) {
      // The first stop is the skip link; when focused it must come on screen.
      const box = await page.evaluate(() => {
        const rect = document.activeElement.getBoundingClientRect();
        return { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom, text: document.activeElement.textContent.trim() };
      });
      assert.ok(box.left >= 0 && box.top >= 0 && box.right <= 1280 && box.bottom <= 800,
        `the first Tab stop (${state.element} "${box.text}") is off screen when focused: ${JSON.stringify(box)}`);
    }
  }
  t.diagnostic(`Tab order to #account: ${passed.map((s) => s.element).join(' → ')}`);

  await page.keyboard.press('Tab');
  state = await focused(page);
  assert.equal(state.element, 'input#password[type=password]', 'the Tab after the account field reaches the password field');
  assertVisibleFocus(state, 'the password field');

  await page.keyboard.press('Tab');
  state = await focused(page);
  assert.equal(state.tag, 'button', `the Tab after the password reaches the submit button, not ${state.element}`);
  assert.equal(state.type, 'submit');
  assert.equal(await page.evaluate(() => document.activeElement.closest('form')?.getAttribute('action')), '/login',
    'the focused button submits the login form');
  assertVisibleFocus(state, 'the submit button');
});

// Guards a fixed yimen accessibility bug: the focus outline was #ffbf47 on the white card (about 1.6:1),
// below the 3:1 that WCAG 2.2 SC 1.4.11 / 2.4.13 ask of a focus indicator.
scenario('keyboard: the focus outline on the login form contrasts at least 3:1 with the card behind it', async ({ yimen, rp, page }) => {
  await openLoginFromRp(page, rp, yimen);
  const low = [];
  for (const selector of ['#account', '#password', 'form[action="/login"] button[type="submit"]']) {
    await page.locator(selector).focus();
    // Focus by keyboard so :focus-visible applies to the button too.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const contrast = await focusOutlineContrast(page);
    if (contrast.ratio < 3) low.push(contrast);
  }
  assert.deepEqual(low, [], `focus outlines below 3:1: ${JSON.stringify(low)}`);
});
