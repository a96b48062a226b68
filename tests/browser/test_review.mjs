// The review desk in a real browser: a reviewer sees the held and disputed
// forms of their scope, compares a disputed form with the counted one (the
// differing numbers marked), decides with a reason, and the tallies follow
// (checked through the API). A held form is shown with its failed checks and
// rejected.
// Run: node --test tests/browser/test_review.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';

const stack = new Stack();
let server, browser, w1, w2, reviewer;
const T = '62.02.01.1009.001';
const H = '62.02.01.1009.002';
let counted, disputed, held, original;

async function post(body, token) {
  const r = await server.request('POST', '/api/v1/forms', body, token);
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

before(async () => {
  ({ server, browser, tokens: { w1, w2, reviewer } } = await stack.start('review', {
    tokens: { w1: ['witness', '62.02', 'saksi 1'], w2: ['witness', '62.02', 'saksi 2'],
      reviewer: ['reviewer', '62.02', 'pemeriksa Kotim'] } }));

  const dpt = (await server.get(`/api/v1/regions/${T}`)).dpt;
  original = goodForm(T, 'gub-62', dpt, { 1: 1, 2: 2, 3: 3, 4: 1 });
  const other = structuredClone(original);
  other.submission_id = crypto.randomUUID();
  other.votes[1] -= 5;
  other.votes[2] += 5;
  counted = await post(original, w1);
  disputed = await post(other, w2);
  assert.equal(counted.status, 'counted');
  assert.equal(disputed.status, 'disputed');
  disputed.body = other;
  const bad = goodForm(H, 'gub-62', (await server.get(`/api/v1/regions/${H}`)).dpt, { 1: 1, 2: 1, 3: 1, 4: 1 });
  bad.valid -= 2;
  held = await post(bad, w1);
  assert.equal(held.status, 'held');
});

after(() => stack.stop());

test('a reviewer resolves a dispute through the UI and the tallies follow', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/review`);
  await page.locator('#token-reviewer').fill(reviewer);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  const rows = page.locator('table.review-table tbody tr');
  await until(async () => (await rows.count()) === 2, { what: 'two forms waiting' });
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.form))), [disputed.form_id, held.form_id]);
  assert.equal(await rows.nth(0).locator('[data-status]').textContent(), 'Sengketa');
  assert.equal(await rows.nth(1).locator('[data-status]').textContent(), 'Ditahan');

  await rows.nth(0).getByRole('button', { name: 'Periksa' }).click();
  const detail = page.locator('#detail');
  await detail.locator('table.form-table').waitFor();
  assert.match(page.url(), new RegExp(`form=${disputed.form_id}`));
  const heads = await detail.locator('table.form-table thead th').allTextContents();
  assert.deepEqual(heads, ['Isian', `Formulir ini #${disputed.form_id}`, `Terhitung #${counted.form_id}`]);
  const diffs = await detail.locator('table.form-table tr.diff').evaluateAll((trs) => trs.map((tr) => tr.dataset.field));
  assert.deepEqual(diffs, ['votes.1', 'votes.2'], 'exactly the differing numbers are marked');
  const v1 = await detail.locator('tr[data-field="votes.1"] td').allTextContents();
  assert.deepEqual(v1, [String(disputed.body.votes[1]), String(original.votes[1])]);

  // No reason, no decision.
  await detail.getByRole('button', { name: 'Hitung formulir ini' }).click();
  assert.match(await detail.locator('.decision-msg').textContent(), /alasan/);
  let tps = await server.get(`/api/v1/tps/${T}`);
  assert.equal(tps.contests.find((c) => c.contest === 'gub-62').counted.form_id, counted.form_id);

  await detail.locator('#rv-reason').fill('Sesuai foto C.Hasil yang diunggah saksi 2');
  await detail.getByRole('button', { name: 'Hitung formulir ini' }).click();
  await until(async () => /Keputusan tersimpan/.test(await detail.textContent()), { what: 'the decision to be saved' });
  await until(async () => (await rows.count()) === 1, { what: 'one form left' });

  tps = await server.get(`/api/v1/tps/${T}`);
  const entry = tps.contests.find((c) => c.contest === 'gub-62');
  assert.equal(entry.counted.form_id, disputed.form_id);
  assert.equal(entry.counted.decision.decision, 'count');
  assert.equal(entry.counted.decision.reason, 'Sesuai foto C.Hasil yang diunggah saksi 2');
  const node = await server.get(`/api/v1/tally/gub-62/${T}`);
  assert.deepEqual(node.votes, disputed.body.votes, 'the tally moved to the decided form');
  assert.equal(node.tps.disputed, 0);
  assert.deepEqual(page.errors, []);
});

test('a held form shows its failed checks and is rejected with a reason', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/review?form=${held.form_id}`);
  const detail = page.locator('#detail');
  await detail.locator('table.form-table').waitFor();
  assert.equal(await detail.locator('h2 [data-status]').textContent(), 'Ditahan');
  assert.deepEqual(await detail.locator('li[data-check]').evaluateAll((lis) => lis.map((li) => li.dataset.check)), ['valid_sum', 'total_sum']);
  const marked = await detail.locator('tr.checkfail').evaluateAll((trs) => trs.map((tr) => tr.dataset.field));
  assert.ok(marked.includes('valid') && marked.includes('votes.1') && marked.includes('total'), marked.join());
  assert.ok(!marked.includes('ballots.received'));

  await detail.locator('#rv-reason').fill('Angka tidak cocok dengan foto');
  await detail.getByRole('button', { name: 'Tolak formulir ini' }).click();
  await until(async () => /Keputusan tersimpan/.test(await detail.textContent()), { what: 'the rejection to be saved' });
  await page.locator('.review-list .ok-text').waitFor();
  const form = await server.get(`/api/v1/forms/${held.form_id}`);
  assert.equal(form.status, 'rejected');
  assert.equal(form.decision.reason, 'Angka tidak cocok dengan foto');
  const review = await server.request('GET', '/api/v1/review', undefined, reviewer);
  assert.equal(review.data.count, 0);
  assert.deepEqual(page.errors, []);
});
