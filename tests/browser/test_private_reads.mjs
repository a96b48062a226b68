// A server run with --private-reads: the dashboard shows nothing to a browser
// without a token, and everything - live - to one that holds any token
// (typed on the witness or review page, kept in localStorage): reads send it
// as a bearer, the live feed as ?token=.
// Run: node --test tests/browser/test_private_reads.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until, idInt } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';

const stack = new Stack();
let server, browser, witness, reviewer;
const TPS = '62.01.01.1011.001';

before(async () => {
  ({ server, browser, tokens: { witness, reviewer } } = await stack.start('private', {
    tokens: { witness: ['witness', '62'], reviewer: ['reviewer', '62'] }, serveArgs: ['--private-reads'] }));
});

after(() => stack.stop());

test('without a token the dashboard shows no numbers; with one it shows them and follows the live feed', async () => {
  assert.equal((await server.request('GET', '/api/v1/contests')).status, 401);
  const page = await browser.page();
  await page.goto(`${server.url}/`);
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('li.cand').count(), 0, 'candidates shown without a token');

  await page.evaluate((t) => localStorage.setItem('suara.token.reviewer', t), reviewer);
  await page.reload();
  const cands = page.locator('li.cand');
  await until(async () => (await cands.count()) === 4, { what: 'four candidate pairs with a token' });
  await until(async () => (await page.locator('#live-state').textContent())?.includes('terhubung'),
              { what: 'the live feed connected with ?token=' });

  const tps = (await server.request('GET', `/api/v1/regions/${TPS}`, undefined, reviewer)).data;
  const body = goodForm(TPS, 'gub-62', tps.dpt, { 1: 5, 2: 3, 3: 2, 4: 1 });
  const r = await server.request('POST', '/api/v1/forms', body, witness);
  assert.equal(r.status, 201, JSON.stringify(r.data));
  const votes1 = page.locator('li.cand[data-cand="1"] .votes');
  await until(async () => (await votes1.textContent()) === idInt(body.votes['1']),
              { what: 'the count to arrive live' });
  assert.deepEqual(page.errors, []);
});
