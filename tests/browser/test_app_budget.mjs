// The witness page's load budget (docs/web-client.md): every module that
// app.js and the witness page import is preloaded by index.html (so no
// import chain is deeper than two: the page, then all modules at once), a
// first visit to /saksi transfers under 60 kB, and a later visit takes the
// app shell from the service worker, not the network. Byte counts, not
// times: times depend on the machine.
// Run: node --test tests/browser/test_app_budget.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
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

// The modules `file` imports statically ("import ... from './x.js'" and
// "export ... from"), and theirs, as paths under js/.
function staticImports(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(path.join(CLIENT, 'js', file), 'utf8');
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\bfrom\s+'\.\/([a-z0-9-]+\.js)'/g)) staticImports(m[1], seen);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'\.\/([a-z0-9-]+\.js)'/g)) staticImports(m[1], seen);
  return seen;
}

test('index.html preloads every module of app.js and of the witness page', () => {
  const html = fs.readFileSync(path.join(CLIENT, 'index.html'), 'utf8');
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="\/js\/([a-z0-9-]+\.js)">/g)].map((m) => m[1]));
  assert.match(html, /<script type="module" src="\/js\/app\.js"><\/script>/);
  const needed = new Set([...staticImports('app.js'), ...staticImports('witness.js')]);
  needed.delete('app.js');
  const missing = [...needed].filter((f) => !preloaded.has(f));
  assert.deepEqual(missing, [], 'add <link rel="modulepreload" href="/js/NAME"> to index.html for each');
  for (const f of preloaded) assert.ok(fs.existsSync(path.join(CLIENT, 'js', f)), `${f} is preloaded but does not exist`);
});

// Bytes that came over the network (compressed size, headers included)
// while `fn` ran, per URL path, from Chromium's own accounting.
async function transferred(page, fn) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  const bytes = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, { path: new URL(e.response.url).pathname, sw: e.response.fromServiceWorker }));
  cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
  await fn();
  await new Promise((r) => setTimeout(r, 500)); // the last loadingFinished events
  await cdp.detach();
  const out = [];
  for (const [id, n] of bytes) if (urls.has(id)) out.push({ ...urls.get(id), bytes: n });
  return out;
}

test('a first visit to /saksi transfers under 60 kB, compressed; a later visit takes the shell from the service worker', async () => {
  const page = await browser.page();
  const first = await transferred(page, async () => {
    await page.goto(`${server.url}/saksi`);
    await page.locator('#token-witness').fill(tokens.tps);
    await page.getByRole('button', { name: 'Simpan token' }).click();
    await page.locator('p.chosen').waitFor();
  });
  const total = first.reduce((s, r) => s + r.bytes, 0);
  const list = first.map((r) => `${r.path} ${r.bytes}`).join(', ');
  assert.ok(total < FIRST_VISIT_BUDGET, `first visit: ${total} bytes (${list})`);
  assert.ok(first.some((r) => r.path === '/js/witness.js'), 'the witness module was counted');

  // Once the worker holds the shell, a visit takes it from there.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await until(() => page.evaluate(() => !!navigator.serviceWorker.controller), { what: 'the worker to control the page' });
  const later = await transferred(page, async () => {
    await page.goto(`${server.url}/saksi`);
    await page.locator('p.chosen').waitFor();
  });
  const shell = later.filter((r) => !r.path.startsWith('/api/'));
  assert.ok(shell.length >= 15, `the shell was loaded (${shell.length} files)`);
  assert.deepEqual(shell.filter((r) => !r.sw).map((r) => r.path), [], 'every shell file came from the service worker');
  assert.deepEqual(page.errors, []);
});
