// The witness page offers only what the witness's token may write: the TPS
// picker starts at the token's scope (GET /api/v1/whoami), and a token for a
// single TPS picks that TPS at once.
// Run: node --test tests/browser/test_witness_scope.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { until } from './lib/suara.mjs';
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
});

test('a TPS-scoped witness gets its TPS without choosing', async () => {
  const token = tokens.tps;
  const page = await openWithToken(token);
  await page.locator('p.chosen').waitFor();
  assert.match(await page.locator('p.chosen').textContent(), /62\.01\.01\.1011\.001/);
  assert.deepEqual(page.errors, []);
});
