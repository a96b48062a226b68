// Two reviewers working one queue side by side: opening a form claims it, the
// other sees who holds it and cannot decide it; the queue names the desa,
// shows the size of the difference and sorts by it, refreshes by itself
// without moving focus; keyboard shortcuts and preset reasons; the third
// answer asks the witness for a new photo, which the TPS's requests show;
// every column of the queue visible at 1366 px (cards below 1300 px).
// Run: node --test tests/browser/test_review_desk.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { launch } from './lib/browser.mjs';

const stack = new Stack();
let server, browser, second, w1, w2, ana, bima;
const T = '62.02.01.1009.003';
const H1 = '62.02.01.1009.004';
const H2 = '62.02.01.1009.005';
const H3 = '62.02.01.1009.006';
let disputed, held1, held2;

async function post(body, token) {
  const r = await server.request('POST', '/api/v1/forms', body, token);
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

async function heldForm(tps, off) {
  const bad = goodForm(tps, 'gub-62', (await server.get(`/api/v1/regions/${tps}`)).dpt, { 1: 1, 2: 1, 3: 1, 4: 1 });
  bad.votes[1] += off;
  const r = await post(bad, w1);
  assert.equal(r.status, 'held');
  return r;
}

async function openDesk(b, token) {
  const page = await b.page();
  await page.goto(`${server.url}/review`);
  await page.locator('.token-card').waitFor();
  if (await page.locator('#token-reviewer').count()) { // not yet saved in this browser
    await page.locator('#token-reviewer').fill(token);
    await page.getByRole('button', { name: 'Simpan token' }).click();
  }
  await page.locator('table.review-table').waitFor();
  return page;
}

before(async () => {
  ({ server, browser, tokens: { w1, w2, ana, bima } } = await stack.start('reviewdesk', {
    tokens: { w1: ['witness', '62.02', 'saksi Citra'], w2: ['witness', '62.02', 'saksi Dodi'],
      ana: ['reviewer', '62.02', 'pemeriksa Ana'], bima: ['reviewer', '62.02', 'pemeriksa Bima'] } }));
  second = await launch();
  const dpt = (await server.get(`/api/v1/regions/${T}`)).dpt;
  const original = goodForm(T, 'gub-62', dpt, { 1: 1, 2: 2, 3: 3, 4: 1 });
  const other = structuredClone(original);
  other.submission_id = crypto.randomUUID();
  other.votes[1] -= 3;
  other.votes[2] += 3;
  assert.equal((await post(original, w1)).status, 'counted');
  disputed = await post(other, w2);
  assert.equal(disputed.status, 'disputed');
  held1 = await heldForm(H1, 2);
  held2 = await heldForm(H2, 9);
});

after(async () => { await second?.close(); await stack.stop(); });

test('two reviewers: a claim shows on the other desk and blocks its decision; names, difference, sorting', async () => {
  const a = await openDesk(browser, ana);
  const b = await openDesk(second, bima);
  const rowsA = a.locator('table.review-table tbody tr');
  assert.deepEqual(await rowsA.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.form))), [disputed.form_id, held1.form_id, held2.form_id]);
  const desa = (await server.get(`/api/v1/regions/${T.slice(0, 13)}`)).name;
  assert.match(await a.locator(`tr[data-form="${disputed.form_id}"] .rv-desa`).textContent(), new RegExp(`^${desa}, `));
  assert.equal(await a.locator(`tr[data-form="${disputed.form_id}"] [data-k=difference]`).textContent(), '6');
  assert.equal(await a.locator(`tr[data-form="${held2.form_id}"] [data-k=difference]`).textContent(), '9');
  await a.locator('#rv-sort').selectOption('diff');
  assert.deepEqual(await rowsA.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.form))), [held2.form_id, disputed.form_id, held1.form_id]);

  // Ana opens the dispute: it is hers; the witness has a name.
  await a.locator(`tr[data-form="${disputed.form_id}"]`).getByRole('button', { name: 'Periksa' }).click();
  await a.locator('#detail table.form-table').waitFor();
  assert.match(await a.locator('#detail [data-k=witness]').textContent(), /saksi Dodi \(token #\d+\)/);
  assert.match(await a.locator('#detail [data-k=claim]').textContent(), /Anda sedang memeriksa/);

  // Bima's queue shows the claim after its own refresh, focus staying on his sort control.
  await b.locator('#rv-sort').focus();
  await until(async () => (await b.locator(`tr[data-form="${disputed.form_id}"] .rv-claim`).textContent()) === 'pemeriksa Ana',
    { timeout: 30000, what: "Ana's claim on Bima's desk" });
  assert.equal(await b.evaluate(() => document.activeElement.id), 'rv-sort');
  await b.locator(`tr[data-form="${disputed.form_id}"]`).getByRole('button', { name: 'Periksa' }).click();
  await b.locator('#detail table.form-table').waitFor();
  assert.match(await b.locator('#detail [data-k=claim]').textContent(), /Sedang diperiksa oleh pemeriksa Ana/);
  assert.equal(await b.locator('#detail [data-decision=count]').isDisabled(), true);
  const status = await server.request('POST', `/api/v1/forms/${disputed.form_id}/decision`, { decision: 'count', reason: 'x' }, bima);
  assert.equal(status.status, 409);

  // Ana decides with the keyboard: a preset reason, then h.
  await a.locator('#detail-title').click();
  await a.keyboard.press('1');
  assert.equal(await a.locator('#rv-reason').inputValue(), 'Sesuai foto C.Hasil.');
  await a.keyboard.press('h');
  await until(async () => /Keputusan tersimpan/.test(await a.locator('#detail').textContent()), { what: 'the decision' });
  const form = await server.get(`/api/v1/forms/${disputed.form_id}`);
  assert.equal(form.status, 'counted');
  assert.equal(form.decision.reason, 'Sesuai foto C.Hasil.');
  await until(async () => (await b.locator(`tr[data-form="${disputed.form_id}"]`).count()) === 0, { timeout: 30000, what: "the form to leave Bima's queue" });
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test('the queue refreshes itself; j opens the next form; the third answer asks the witness for a new photo', async () => {
  const a = await openDesk(browser, ana);
  await a.locator('table.review-table').waitFor();
  const kept = await a.evaluate(() => { window.__table = document.querySelector('table.review-table'); return true; });
  assert.ok(kept);
  const held3 = await heldForm(H3, 4);
  await until(async () => (await a.locator(`tr[data-form="${held3.form_id}"]`).count()) === 1, { timeout: 30000, what: 'the new form without a reload' });
  assert.equal(await a.evaluate(() => document.querySelector('table.review-table') === window.__table), true, 'rows changed in place');

  await a.locator('h1').click();
  await a.keyboard.press('j');
  await a.locator('#detail table.form-table').waitFor();
  assert.match(a.url(), new RegExp(`form=${held1.form_id}`));
  await a.keyboard.press('j');
  await until(async () => /form=/.test(a.url()) && new URL(a.url()).searchParams.get('form') === String(held2.form_id), { what: 'the second form' });
  await a.locator('#detail table.form-table').waitFor();
  await a.locator('#rv-reason').fill('Foto buram, mohon kirim foto baru C.Hasil');
  await a.locator('#rv-kind').selectOption('photo');
  await a.locator('#detail [data-decision=ask]').click();
  await until(async () => /Permintaan terkirim/.test(await a.locator('#detail .decision-msg').textContent()), { what: 'the request to be sent' });
  assert.equal(await a.locator('#detail [data-request]').count(), 1);
  const seen = await server.get(`/api/v1/requests?tps=${H2}`);
  assert.deepEqual(seen.requests.map((r) => [r.kind, r.note, r.name, r.open]), [['photo', 'Foto buram, mohon kirim foto baru C.Hasil', 'pemeriksa Ana', true]]);
  assert.equal((await server.get(`/api/v1/forms/${held2.form_id}`)).status, 'held');

  // The TPS page shows the request to its witness.
  const t = await browser.page();
  await t.goto(`${server.url}/tps/${H2}/`);
  await t.locator('[data-requests] li').first().waitFor();
  assert.match(await t.locator('[data-requests]').textContent(), /Foto baru.*Foto buram, mohon kirim foto baru C\.Hasil/);
  assert.deepEqual([...a.errors, ...t.errors], []);
});

test('the queue fits its place: no column cut off in the split view at 1366 px, nor as cards at 1024 and 390 px', async () => {
  const page = await openDesk(browser, ana);
  await page.locator('table.review-table tbody tr').first().waitFor();
  const fits = {};
  for (const width of [1366, 1024, 390]) {
    await page.setViewportSize({ width, height: 900 });
    fits[width] = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => {
      const wrap = document.querySelector('.review-queue .table-wrap');
      const right = wrap.getBoundingClientRect().right;
      const cut = [...wrap.querySelectorAll('tbody tr button')].filter((b) => b.getBoundingClientRect().right > right + 0.5);
      resolve({ scrolls: wrap.scrollWidth > wrap.clientWidth, buttonsCut: cut.length });
    })));
  }
  const none = { scrolls: false, buttonsCut: 0 };
  assert.deepEqual(fits, { 1366: none, 1024: none, 390: none });
  assert.deepEqual(page.errors, []);
});
