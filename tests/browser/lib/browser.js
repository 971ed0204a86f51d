// Headless Chromium through playwright-core (which never downloads a browser): the system's
// /usr/bin/chromium (or CHROMIUM_PATH), a fresh user-data-dir per launch, removed afterwards.

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

/**
 * Launches Chromium with a fresh profile and returns { context, page, close }.
 * `options` are Playwright context options (viewport, locale, isMobile, extraHTTPHeaders, …).
 * Pages default to Chinese (locale zh-CN): headless Chromium would otherwise send Accept-Language en-US.
 */
export async function launch(options = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'yimen-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      locale: 'zh-CN',
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
      ...options,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = context.pages()[0] ?? await context.newPage();
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      try { await context.close(); } finally {
        await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
      }
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
