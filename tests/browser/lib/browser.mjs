// Headless Chromium from the operating system (never a downloaded browser),
// driven by playwright-core from client-web/node_modules, each launch with a
// fresh user-data folder.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, scratch } from './suara.mjs';

const require = createRequire(path.join(SOURCE_DIR, 'client-web', 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.SUARA_CHROMIUM || '/usr/bin/chromium';
export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let n = 0;

// A new profile folder for launch({profile}), to reopen a browser "after it
// was closed" with everything it stored.
export const newProfile = () => fs.mkdtempSync(path.join(scratch, `profile-${++n}-`));

// A browser with its own profile: {context, page(), close()}. Pages collect
// uncaught exceptions in page.errors; close() removes the profile, unless it
// was given (profile: a folder from newProfile(), kept for the next launch).
export async function launch({ viewport = DESKTOP, profile = null } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (Debian package chromium)`);
  const dir = profile || newProfile();
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport, locale: 'id-ID', timezoneId: 'Asia/Jakarta',
  });
  context.setDefaultTimeout(15000);
  return {
    context,
    async page() {
      const page = await context.newPage();
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(e.message));
      return page;
    },
    async close() {
      await context.close();
      if (!profile) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
