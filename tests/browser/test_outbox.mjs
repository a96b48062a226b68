// The witness's outbox in a real browser: a form submitted while the server is
// down is kept in the browser, shown as waiting, and sent by itself once the
// server is back on the same port and database — counted exactly once. A form
// waiting through a page reload is still sent afterwards.
// Run: node --test tests/browser/test_outbox.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { goodForm, until } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm, outboxEntries } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness;
const C = '62.71.01.1001.001'; // Palangka Raya
const D = '62.71.01.1001.002';

before(async () => {
  ({ server, browser, tokens: { witness } } = await stack.start('outbox', {
    tokens: { witness: ['witness', '62.71', 'saksi Palangka Raya'] }, viewport: PHONE }));
});

after(() => stack.stop());


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
  // Waiting for its next attempt (or in the middle of one). The item is drawn
  // after the stored entry changes, so the entry's attempt may not show yet,
  // and a drawing of the entry as it was before (waiting, no attempt) is
  // waiting too: wait for the drawing of a failed attempt, one read of
  // state and text at once, then check that text.
  const shown = await until(async () => {
    const [state, text] = await item.evaluate((el) => [el.dataset.state, el.textContent]);
    return state === 'waiting' && /Percobaan \d+ gagal/.test(text) && text;
  }, { what: 'the waiting state after a failed attempt' });
  assert.match(shown, /Menunggu dikirim/);
  assert.match(shown, /Percobaan \d+ gagal \(Server tidak terjangkau\.\)/);
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

test('an outbox kept in localStorage by an earlier version moves to IndexedDB with its submission_id and is sent once', async () => {
  const E = '62.71.01.1001.003';
  const dpt = (await server.get(`/api/v1/regions/${E}`)).dpt;
  const id = '6f1c2a9e-0b7d-4c3e-9a51-2d8e4f6a7b10';
  const legacy = [{
    id, body: { ...goodForm(E, 'wal-62.71', dpt, { 1: 2, 2: 1 }), submission_id: id }, token: witness,
    createdAt: new Date().toISOString(), state: 'waiting', attempts: 2, nextAt: Date.now() + 600000,
    lastError: null, receipt: null, sentAt: null,
  }];
  const page = await browser.page();
  // The earlier version's key, written before any script of the page runs.
  await page.addInitScript((v) => { if (!sessionStorage.getItem('seeded')) { localStorage.setItem('suara.outbox.v1', v); sessionStorage.setItem('seeded', '1'); } }, JSON.stringify(legacy));
  await page.goto(`${server.url}/saksi`);
  const item = page.locator(`#kotak-keluar .outbox-item[data-id="${id}"]`);
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the migrated form to be sent' });
  assert.equal(await page.evaluate(() => localStorage.getItem('suara.outbox.v1')), null, 'the old copy is gone');
  const stored = (await outboxEntries(page)).find((e) => e.id === id);
  assert.equal(stored.body.submission_id, id);
  assert.equal(stored.state, 'sent');
  const forms = await history(E, 'wal-62.71');
  assert.equal(forms.length, 1);
  assert.equal(forms[0].submission_id, id);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('offline, a form is kept on the phone without a single attempt, says so, and goes out once the phone is online', async () => {
  const F = '62.71.01.1001.004';
  const { page } = await filledEntry(F, { 1: 1, 2: 1 });
  await browser.context.setOffline(true);
  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await item.locator('.offline-note').waitFor();
  assert.equal(await item.locator('.offline-note').textContent(), 'HP offline — formulir aman di perangkat. Dikirim otomatis begitu ada sinyal.');
  await page.waitForTimeout(3000); // long enough for several retries, were there any
  const [entry] = (await outboxEntries(page)).filter((e) => e.body.tps === F);
  assert.equal(entry.state, 'waiting');
  assert.equal(entry.attempts, 0, 'no attempt while offline (a failed one would count)');

  await browser.context.setOffline(false);
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the form to be sent once online' });
  const forms = await history(F, 'wal-62.71');
  assert.equal(forms.length, 1);
  assert.equal(forms[0].submission_id, entry.id);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('photos are stored once per SHA-256 with their bytes, beside the forms, and sent as PUT /api/v1/photos/{sha256}', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/saksi`);
  await page.locator('#tps-title').waitFor();
  const puts = [];
  // Any tab of this browser may be the one that sends.
  browser.context.on('request', (r) => { if (r.method() === 'PUT') puts.push({ path: new URL(r.url()).pathname, type: r.headers()['content-type'] }); });
  const bytes = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 0xff, 0xd9];
  const stored = await page.evaluate(async ({ bytes, token }) => {
    const outbox = await import('/js/outbox.js');
    const blob = () => new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' });
    const first = await outbox.addPhotos([blob()], token);
    const again = await outbox.addPhotos([blob()], token); // the same photo twice
    const list = await outbox.photos();
    // Not a decodable image: the server refuses it, and the bytes stay.
    const kept = [...new Uint8Array(await (await outbox.photoBlob(first[0])).arrayBuffer())];
    return { first, again, n: list.length, entry: list[0], hasBlobField: 'blob' in list[0], kept };
  }, { bytes, token: witness });
  const sha = createHash('sha256').update(Buffer.from(bytes)).digest('hex');
  assert.deepEqual(stored.first, [sha]);
  assert.deepEqual(stored.again, [sha]);
  assert.equal(stored.n, 1, 'one entry per photo');
  assert.equal(stored.entry.bytes, bytes.length);
  assert.equal(stored.entry.type, 'image/jpeg');
  assert.equal(stored.hasBlobField, false, 'the list leaves the bytes out');
  assert.deepEqual(stored.kept, bytes);
  await until(() => puts.length >= 1, { what: 'the photo to be sent' });
  assert.equal(puts[0].path, `/api/v1/photos/${sha}`);
  assert.equal(puts[0].type, 'image/jpeg');
  await page.close();
});
