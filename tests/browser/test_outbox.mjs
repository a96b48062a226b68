// The witness's outbox in a real browser: a form submitted while the server is
// down is kept in the browser, shown as waiting, and sent by itself once the
// server is back on the same port and database — counted exactly once. A form
// waiting through a page reload is still sent afterwards.
// Run: node --test tests/browser/test_outbox.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness;
const C = '62.71.01.1001.001'; // Palangka Raya
const D = '62.71.01.1001.002';

before(async () => {
  ({ server, browser, tokens: { witness } } = await stack.start('outbox', {
    tokens: { witness: ['witness', '62.71', 'saksi Palangka Raya'] }, viewport: PHONE }));
});

after(() => stack.stop());

const outboxEntries = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('suara.outbox.v1') || '[]'));

async function history(code, contest) {
  const tps = await server.get(`/api/v1/tps/${code}`);
  return tps.contests.find((c) => c.contest === contest).history;
}

// A new page on the witness form of tps for wal-62.71, filled in with a
// consistent form (votes in proportion to shares); answers { page, body }.
async function filledEntry(tps, shares) {
  const page = await browser.page();
  const dpt = (await server.get(`/api/v1/regions/${tps}`)).dpt;
  const body = goodForm(tps, 'wal-62.71', dpt, shares);
  await openEntry(page, server.url, { token: witness, tps, contest: 'wal-62.71' });
  await fillForm(page, body);
  return { page, body };
}

test('a form entered while the server is down waits, then is sent once the server is back, and counted once', async () => {
  const { page, body } = await filledEntry(C, { 1: 3, 2: 2 });

  assert.equal(await server.stop(), 0, 'the server stopped cleanly');
  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await outboxEntries(page))[0]?.attempts >= 1, { what: 'a first failed attempt' });
  // Waiting for its next attempt (or in the middle of one).
  await until(async () => (await item.getAttribute('data-state')) === 'waiting', { what: 'the waiting state' });
  assert.match(await item.textContent(), /Menunggu dikirim/);
  assert.match(await item.textContent(), /Percobaan \d+ gagal \(Server tidak terjangkau\.\)/);
  assert.equal(await page.locator('#outbox-badge').textContent(), '1 formulir menunggu dikirim');
  const [entry] = await outboxEntries(page);
  assert.equal(entry.state, 'waiting');
  assert.equal(entry.body.submission_id, entry.id);
  assert.deepEqual(entry.body.votes, body.votes);

  await server.start(); // same port, same database
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the form to be sent after the restart' });
  assert.equal(await item.locator('.receipt [data-status]').textContent(), 'Terhitung');
  assert.equal(await page.locator('#outbox-badge').isHidden(), true);

  const forms = await history(C, 'wal-62.71');
  assert.equal(forms.length, 1, 'exactly one form stored');
  assert.equal(forms[0].submission_id, entry.id);
  assert.equal(forms[0].status, 'counted');
  const node = await server.get(`/api/v1/tally/wal-62.71/${C}`);
  assert.equal(node.tps.counted, 1);
  assert.equal(node.valid, body.valid);
  assert.deepEqual(page.errors, []);
});

test('a waiting form survives a reload of the page and is sent afterwards, once', async () => {
  const { page, body } = await filledEntry(D, { 1: 1, 2: 4 });

  // The network drops every form sent (the rest of the site still loads).
  let dropped = 0;
  await browser.context.route('**/api/v1/forms', (route) => { dropped++; return route.abort('internetdisconnected'); });
  await page.locator('.submit-bar button[type=submit]').click();
  await until(async () => dropped >= 1 && (await outboxEntries(page)).some((e) => e.body.tps === D && e.attempts >= 1), { what: 'a dropped attempt' });
  const id = (await outboxEntries(page)).find((e) => e.body.tps === D).id;

  await page.reload();
  const waiting = page.locator(`#kotak-keluar .outbox-item[data-id="${id}"]`);
  await waiting.waitFor();
  assert.ok(['waiting', 'sending'].includes(await waiting.getAttribute('data-state')), 'not sent, not failed');
  assert.equal(await page.locator('#outbox-badge').textContent(), '1 formulir menunggu dikirim');
  const before = dropped;
  await until(() => dropped > before, { what: 'a retry after the reload' });
  assert.equal((await history(D, 'wal-62.71')).length, 0, 'nothing reached the server yet');

  await browser.context.unroute('**/api/v1/forms');
  await until(async () => (await waiting.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the form to be sent after the reload' });
  const forms = await history(D, 'wal-62.71');
  assert.equal(forms.length, 1);
  assert.equal(forms[0].submission_id, id);
  assert.equal(forms[0].status, 'counted');
  // The first form is still there once, too.
  assert.equal((await history(C, 'wal-62.71')).length, 1);
  assert.deepEqual(page.errors, []);
});
