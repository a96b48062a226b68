// The witness page offers only what the witness's token may write: the TPS
// picker starts at the token's scope (GET /api/v1/whoami), and a token for a
// single TPS picks that TPS at once.
// Run: node --test tests/browser/test_witness_scope.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Database, Server, until } from './lib/suara.mjs';
import { launch } from './lib/browser.mjs';

const DESA = '62.01.01.1011';
const TPS = '62.01.01.1011.001';
let db, server, browser;

before(async () => {
  db = new Database('scope');
  server = await Server.launch(db);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const code = await server?.stop();
  db?.drop();
  assert.equal(code, 0, 'suara serve shut down cleanly');
});

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
  const token = db.token('witness', DESA);
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
});

test('a TPS-scoped witness gets its TPS without choosing', async () => {
  const token = db.token('witness', TPS);
  const page = await openWithToken(token);
  await page.locator('p.chosen').waitFor();
  assert.match(await page.locator('p.chosen').textContent(), /62\.01\.01\.1011\.001/);
  assert.deepEqual(page.errors, []);
});
