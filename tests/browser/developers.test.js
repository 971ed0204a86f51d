// The developer page on a phone: it fits 360 px (long endpoint URLs and code wrap), and axe-core finds no
// serious or critical violation, in Chinese and in English.

import assert from 'node:assert/strict';
import { scenario } from './lib/scenario.js';
import { PHONE } from './lib/browser.js';
import { axeViolations, horizontalOverflow } from './lib/checks.js';

scenario('the developer page fits a phone and has no serious accessibility problem, in both languages', {
  browser: { ...PHONE, bypassCSP: true },
  seed: false,
}, async ({ yimen, page }) => {
  for (const language of ['zh-CN', 'en']) {
    await page.goto(yimen.url(`/lang?to=${language}&back=%2Fdevelopers`));
    await page.locator('#discovery').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), language);
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, `${language}: wider than the screen: ${JSON.stringify(overflow)}`);
    assert.deepEqual(await axeViolations(page), [], `${language}: serious or critical axe-core violations`);
  }
});
