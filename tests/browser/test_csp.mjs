// The web client meets the Content-Security-Policy the server sends (no
// inline script or style, nothing from another origin): every view, with the
// witness entry form, the review desk and the live feed running, raises zero
// CSP violations in Chromium, at a phone's width and a big screen's. And the
// policy's frame-ancestors 'none' holds: a page that frames Suara gets no
// Suara document in its frame.
// Run: node --test tests/browser/test_csp.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { goodForm, until } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness, reviewer;
const TPS = '62.01.01.1011.001';

before(async () => {
  ({ server, browser, tokens: { witness, reviewer } } = await stack.start('csp', {
    tokens: { witness: ['witness', '62'], reviewer: ['reviewer', '62'] } }));
});

after(() => stack.stop());

// A page that records every CSP violation report (the DOM event fires for each
// blocked script, style, connection or frame) and the console's complaints.
async function watchedPage() {
  const page = await browser.page();
  page.cspEvents = [];
  await page.exposeFunction('__cspViolation', (text) => page.cspEvents.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolation(`${location.pathname}: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.cspConsole = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.cspConsole.push(m.text());
  });
  return page;
}

async function assertNoViolations(page, what) {
  assert.deepEqual(page.cspEvents, [], `${what}: CSP violations`);
  assert.deepEqual(page.cspConsole, [], `${what}: CSP complaints on the console`);
  assert.deepEqual(page.errors, [], `${what}: uncaught errors`);
}

test('every view raises no CSP violation at 360 px and 1920 px', async () => {
  const tps = (await server.request('GET', `/api/v1/regions/${TPS}`)).data;
  const held = goodForm(TPS, 'gub-62', tps.dpt, { 1: 5, 2: 3, 3: 2, 4: 1 });
  held.votes['1'] += 1; // valid_sum fails: the review desk has a form to show
  assert.equal((await server.request('POST', '/api/v1/forms', held, witness)).status, 201);

  for (const width of [360, 1920]) {
    const page = await watchedPage();
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}/`);
    await until(async () => (await page.locator('li.cand').count()) === 4, { what: 'the dashboard' });
    await until(async () => (await page.locator('#live-state').textContent())?.includes('terhubung'),
                { what: 'the live feed connected' });
    await page.goto(`${server.url}/c/gub-62/62.01`);
    await page.locator('li.cand').first().waitFor();
    await page.goto(`${server.url}/tps/${TPS}/`);
    await page.locator('main h1, main h2').first().waitFor();
    await openEntry(page, server.url, { token: witness, tps: TPS, contest: 'gub-62' });
    await page.evaluate((t) => localStorage.setItem('suara.token.reviewer', t), reviewer);
    await page.goto(`${server.url}/review`);
    await page.locator('table.review-table tbody tr').first().getByRole('button', { name: 'Periksa' }).click();
    await page.locator('#detail table.form-table').waitFor();
    await page.goto(`${server.url}/no/such/view`);
    await page.locator('main').waitFor();
    await page.waitForTimeout(500); // late styles and images
    await assertNoViolations(page, `${width} px`);
    if (process.env.SUARA_SCREENSHOT_DIR) {
      await page.screenshot({ path: path.join(process.env.SUARA_SCREENSHOT_DIR, `csp-${width}.png`) });
    }
    await page.close();
  }
});

test("frame-ancestors 'none': another origin cannot frame Suara", async () => {
  const framer = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><iframe id="f" src="${server.url}/review"></iframe>`);
  });
  await new Promise((resolve) => framer.listen(0, '127.0.0.1', resolve));
  try {
    const page = await watchedPage();
    const blocked = new Promise((resolve) => page.on('console', (m) => {
      if (/frame-ancestors/.test(m.text())) resolve(m.text());
    }));
    await page.goto(`http://127.0.0.1:${framer.address().port}/`);
    assert.match(await blocked, /frame-ancestors 'none'/);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.equal(await frame.evaluate(() => document.querySelector('header.top')), null,
                 'the Suara page rendered inside the frame');
    await page.close();
  } finally {
    framer.close();
  }
});
