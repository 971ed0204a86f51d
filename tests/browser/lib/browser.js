// Headless Chromium through playwright-core (which never downloads a browser): the system's
// /usr/bin/chromium (or CHROMIUM_PATH). One Chromium per test file (node --test runs each file in a
// process of its own), started on first use and closed after the file's last test; every `launch()` gets
// a fresh browser context, which shares no cookies, storage or permissions with any other.

import { after } from 'node:test';
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './yimen.js';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTEFACTS = join(REPO_ROOT, 'tests', 'artefacts');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone: 360×740 CSS px, mobile layout viewport, touch. */
export const PHONE = Object.freeze({
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 1,
  isMobile: true,
  hasTouch: true,
});

let shared;

/** The file's one Chromium, started on first use. */
function chromiumForThisFile() {
  shared ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  return shared;
}

// Registered at import, so at the top level of the test file: runs once its last test has ended.
after(async () => {
  const browser = await shared?.catch(() => undefined);
  await browser?.close();
});

/**
 * A fresh browser context (no cookies, storage or credentials from any other) with one page; returns
 * { context, page, close }. `options` are Playwright context options (viewport, locale, isMobile,
 * extraHTTPHeaders, …). Pages default to Chinese (locale zh-CN): headless Chromium would otherwise send
 * Accept-Language en-US.
 */
export async function launch(options = {}) {
  const browser = await chromiumForThisFile();
  const context = await browser.newContext({
    locale: 'zh-CN',
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = await context.newPage();
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      await context.close();
    },
  };
}

/** Saves a full-page screenshot to tests/artefacts/NAME.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(ARTEFACTS, { recursive: true });
  const path = join(ARTEFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
