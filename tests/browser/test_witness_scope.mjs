// The witness page offers only what the witness's token may write: the TPS
// picker starts at the token's scope (GET /api/v1/whoami), and a token for a
// single TPS picks that TPS at once.
// A one-TPS token once made the page pick its TPS on every render, forever
// (hundreds of region requests a second, the contest reset, focus lost): the
// last test types a whole form with such a token and counts the requests
// (the mode, for the SIMULASI banner, is asked once per page load).
// Run: node --test tests/browser/test_witness_scope.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { until, goodForm } from './lib/suara.mjs';
import { fillForm } from './lib/witness.mjs';
import { Stack } from './lib/stack.mjs';

const DESA = '62.01.01.1011';
const TPS = '62.01.01.1011.001';
const stack = new Stack();
let server, browser, tokens;

before(async () => {
  ({ server, browser, tokens } = await stack.start('scope', {
    tokens: { desa: ['witness', DESA], tps: ['witness', TPS] } }));
});

after(() => stack.stop());

async function openWithToken(token) {
  const page = await browser.page();
  await page.goto(`${server.url}/saksi`);
  await page.evaluate(() => localStorage.clear()); // each test is a new phone
  await page.reload();
  await page.locator('#token-witness').fill(token);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  return page;
}

test('a desa-scoped witness is offered that desa\'s TPS only', async () => {
  const token = tokens.desa;
  const desa = await server.get(`/api/v1/regions/${DESA}`);
  const page = await openWithToken(token);
  const tpsSelect = page.locator('#pick-tps');
  await until(async () => !(await tpsSelect.isDisabled()), { what: 'the TPS list of the desa' });
  assert.equal(await page.locator('#pick-kabupaten').count(), 0, 'no kabupaten choice above the scope');
  assert.equal(await page.locator('#pick-desa').count(), 0, 'no desa choice above the scope');
  const offered = await tpsSelect.locator('option[value]:not([value=""])').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(offered, desa.children.map((c) => c.code));
  await tpsSelect.selectOption(TPS);
  await page.locator('p.chosen').waitFor();
  assert.match(await page.locator('p.chosen').textContent(), /62\.01\.01\.1011\.001/);
  assert.deepEqual(page.errors, []);
  await page.close(); // the next test is another phone: this tab would follow its sent form too
});

test('a TPS-scoped witness gets its TPS without choosing', async () => {
  const token = tokens.tps;
  const page = await openWithToken(token);
  await page.locator('p.chosen').waitFor();
  assert.match(await page.locator('p.chosen').textContent(), /62\.01\.01\.1011\.001/);
  assert.deepEqual(page.errors, []);
  await page.close(); // the next test is another phone: this tab would follow its sent form too
});

test('a TPS-scoped witness types a whole form and sends it; the page makes no requests of its own meanwhile', async () => {
  const page = await browser.page();
  const requests = [];
  // Every tab of the browser, and its service worker: any of them may send.
  browser.context.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}/saksi`);
  await page.evaluate(() => localStorage.clear());
  // Not reload(): the page may already have put ?tps= of the last token in the address.
  await page.goto(`${server.url}/saksi`);
  await page.locator('#token-witness').fill(tokens.tps);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  await page.locator('.token-card code').waitFor(); // checked with the server and saved
  await page.locator('p.chosen').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Ganti TPS' }).count(), 0, 'a one-TPS token has nothing to change to');
  const info = await server.get(`/api/v1/regions/${TPS}`);
  await page.locator('input[name=contest][value="bup-62.01"]').check();
  await page.locator('form.entry').waitFor();

  const settled = requests.length;
  // Each of the two loads asked the election's mode once (the SIMULASI
  // banner) and never again: the page polls nothing.
  assert.equal(requests.filter((u) => new URL(u).pathname === '/api/v1/status').length, 2,
    `status requests: ${requests.join(' ')}`);
  await new Promise((r) => setTimeout(r, 1500)); // a loop would show here
  assert.equal(requests.length, settled, `requests after the page settled: ${requests.slice(settled).join(' ')}`);

  const bup = (await server.get('/api/v1/contests')).find((c) => c.id === 'bup-62.01');
  const body = goodForm(TPS, 'bup-62.01', info.dpt, Object.fromEntries(bup.candidates.map((c) => [c.number, c.number])));
  await fillForm(page, body);
  assert.equal(await page.locator('input[name=contest][value="bup-62.01"]').isChecked(), true, 'the contest stays chosen');
  assert.equal(requests.length, settled, 'typing makes no requests');

  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { what: 'the form to be sent' });
  // Once sent, the page follows its TPS (the dispute alert): one read of the
  // TPS when the live feed's snapshot arrives, nothing more while nothing changes.
  await page.locator('.dispute-watch [data-state=watching]').waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  // (Modules loaded on demand then come from the service worker's cache or
  // the network depending on what it holds: only API requests are counted.)
  assert.deepEqual(requests.slice(settled).map((u) => new URL(u).pathname).filter((p) => p.startsWith('/api/') && p !== '/api/v1/live'),
    ['/api/v1/forms', `/api/v1/tps/${TPS}`]);
  const tps = await server.get(`/api/v1/tps/${TPS}`);
  assert.equal(tps.contests.find((c) => c.contest === 'bup-62.01').status, 'counted');
  assert.deepEqual(page.errors, []);
});
