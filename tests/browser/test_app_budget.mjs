// The witness page's load budget (docs/web-client.md): index.html loads one
// bundle holding app.js and the whole witness page (dist/app.js, the build's
// bundle of the current sources, with no import of its own) and, beside it,
// js/early.js (the first API requests, sent before the bundle has come; the
// page takes their answers instead of asking again), a
// first visit to /saksi (from the link on the witness's card, until the TPS
// and its contests are shown) transfers under 60 kB of content (compressed
// bodies; the headers are counted and reported apart), and a later visit takes the
// app shell from the service worker, not the network. Byte counts, not
// times: times depend on the machine.
// Run: node --test tests/browser/test_app_budget.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { until, SOURCE_DIR } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';

const CLIENT = path.join(SOURCE_DIR, 'client-web');
const FIRST_VISIT_BUDGET = 60 * 1024;
const TPS = '62.71.01.1001.001';
const stack = new Stack();
let server, browser, tokens;

before(async () => {
  ({ server, browser, tokens } = await stack.start('app_budget', {
    tokens: { tps: ['witness', TPS, 'Saksi TPS 001'] }, viewport: PHONE,
  }));
});

after(() => stack.stop());

test('index.html loads early.js (async, no imports) and the bundle, which is the bundle of the current sources and imports nothing statically (the witness page\'s code is one request)', () => {
  const html = fs.readFileSync(path.join(CLIENT, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)\bsrc="([^"]+)"/g)].map((m) => `${m[1].trim()} ${m[2]}`);
  assert.deepEqual(scripts, ['async /js/early.js', 'type="module" /dist/app.js']);
  const early = fs.readFileSync(path.join(CLIENT, 'js', 'early.js'), 'utf8');
  assert.doesNotMatch(early, /^\s*(import|export)\b/m, 'early.js is a plain script');
  const check = spawnSync(process.execPath, [path.join(SOURCE_DIR, 'cmake', 'client_bundle.mjs'), CLIENT, '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, `dist/ is what the build makes of js/: ${check.stderr}`);
  const bundle = fs.readFileSync(path.join(CLIENT, 'dist', 'app.js'), 'utf8');
  assert.doesNotMatch(bundle, /\bimport\s*[{*"']/, 'no static import in dist/app.js');
});

// What came over the network while `fn` ran, per request: {path, sw (served
// by the service worker), body (compressed bytes of the body), headers
// (bytes of the response's status line and headers)}, from Chromium's own
// accounting.
async function transferred(page, fn) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  const total = new Map();
  const headers = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, { path: new URL(e.response.url).pathname, sw: e.response.fromServiceWorker }));
  cdp.on('Network.responseReceivedExtraInfo', (e) => headers.set(e.requestId, (e.headersText || '').length));
  cdp.on('Network.loadingFinished', (e) => total.set(e.requestId, e.encodedDataLength));
  await fn();
  await new Promise((r) => setTimeout(r, 500)); // the last loadingFinished events
  await cdp.detach();
  const out = [];
  for (const [id, n] of total) {
    if (!urls.has(id)) continue;
    const h = Math.min(headers.get(id) || 0, n);
    out.push({ ...urls.get(id), body: n - h, headers: h });
  }
  return out;
}

test('a first visit to /saksi from the card\'s link transfers under 60 kB of compressed content; a later visit takes the shell from the service worker', async () => {
  const page = await browser.page();
  // The witness opens the link on the card: the token is checked, the TPS and its contests shown.
  const first = await transferred(page, async () => {
    await page.goto(`${server.url}/saksi#t=${tokens.tps}`);
    await page.locator('input[name=contest]').first().waitFor();
  });
  // The budget is the content: every response also carries about 530 bytes
  // of headers (validators and the security headers), reported beside it.
  const body = first.reduce((s, r) => s + r.body, 0);
  const headers = first.reduce((s, r) => s + r.headers, 0);
  const list = first.map((r) => `${r.path} ${r.body}+${r.headers}`).join(', ');
  // A response of no bytes at all came from a cache (the service worker's
  // own fetches of the witness's data): it has no headers on the wire either.
  assert.ok(first.every((r) => r.headers > 0 || r.body + r.headers === 0), `header sizes known: ${list}`);
  console.log(`first visit: ${first.length} responses, ${body} bytes of content, ${headers} bytes of headers`);
  assert.ok(body < FIRST_VISIT_BUDGET, `first visit: ${body} bytes of content, ${headers} of headers (${list})`);
  assert.ok(first.some((r) => r.path === '/dist/app.js'), 'the bundle was counted');
  // Whichever of early.js and the bundle ran first, the token was asked about
  // once, and nothing early.js sent was left untaken.
  assert.equal(first.filter((r) => r.path === '/api/v1/whoami').length, 1, `one whoami: ${list}`);
  assert.equal(await page.evaluate(() => globalThis.suaraEarly.length), 0, 'every early request was taken');

  // Once the worker holds the shell, a visit takes it from there.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await until(() => page.evaluate(() => !!navigator.serviceWorker.controller), { what: 'the worker to control the page' });
  const later = await transferred(page, async () => {
    await page.goto(`${server.url}/saksi`);
    await page.locator('p.chosen').waitFor();
  });
  const shell = later.filter((r) => !r.path.startsWith('/api/'));
  assert.ok(shell.length >= 5, `the shell was loaded (${shell.length} files)`);
  assert.deepEqual(shell.filter((r) => !r.sw).map((r) => r.path), [], 'every shell file came from the service worker');
  assert.deepEqual(page.errors, []);
});
