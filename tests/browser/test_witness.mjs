// Witness entry in a real browser: a witness saves a token, picks a TPS and
// contest, types the form box by box, sees the contract's checks react as
// they type, submits, reads the receipt — and the form is counted (checked
// through the API).
// Run: node --test tests/browser/test_witness.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until, idInt } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm, inputId, checkStates } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness;
const TPS = '62.03.01.1006.001';

before(async () => {
  ({ server, browser, tokens: { witness } } = await stack.start('witness', {
    tokens: { witness: ['witness', '62.03', 'saksi Kapuas'] }, viewport: PHONE }));
});

after(() => stack.stop());

test('a witness enters a form through the UI, sees the checks live, and it is counted', async () => {
  const page = await browser.page();
  const info = await server.get(`/api/v1/regions/${TPS}`);
  const bup = (await server.get('/api/v1/contests')).find((c) => c.id === 'bup-62.03');
  const shares = Object.fromEntries(bup.candidates.map((c) => [c.number, c.number]));
  const body = goodForm(TPS, 'bup-62.03', info.dpt, shares);

  await openEntry(page, server.url, { token: witness, tps: TPS, contest: 'bup-62.03' });
  assert.match(await page.locator('p.chosen').textContent(), new RegExp(`DPT ${info.dpt}`));
  assert.equal(await page.locator('input[name=contest]').count(), 2, 'the TPS lies in gub-62 and bup-62.03');
  assert.equal(await page.locator('input[name^="votes."]').count(), bup.candidates.length);
  const submit = page.locator('.submit-bar button[type=submit]');
  assert.equal(await submit.isDisabled(), true, 'an empty form cannot be sent');
  // On a 360 px phone section I's tables fit, their Jumlah column in view
  // (the headers shorten to L and P).
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.locator('form.entry table.lp').evaluateAll((ts) => ts.map((t) => t.closest('.table-wrap').scrollWidth - t.closest('.table-wrap').clientWidth));
  assert.deepEqual(overflow, [0, 0], 'no sideways scrolling in section I at 360 px');
  assert.deepEqual(await page.locator('form.entry table.lp').first().locator('thead th').evaluateAll((ths) => ths.map((th) => th.innerText)),
    ['Uraian', 'L', 'P', 'Jumlah']);
  await page.setViewportSize(PHONE);

  // The DPT check reacts to section I.A alone, against the roll of this TPS.
  await page.locator(inputId('registered.dpt.m')).fill(String(body.registered.dpt.m));
  await page.locator(inputId('registered.dpt.f')).fill(String(body.registered.dpt.f + 1));
  assert.equal((await checkStates(page)).dpt_matches_roll, 'fail');
  await page.locator(inputId('registered.dpt.f')).fill(String(body.registered.dpt.f));
  assert.equal((await checkStates(page)).dpt_matches_roll, 'ok');
  assert.equal((await checkStates(page)).valid_sum, 'pending');

  // A wrong Jumlah Suara Sah: valid_sum fails, the form would be held.
  await fillForm(page, { ...body, valid: body.valid + 3 });
  let states = await checkStates(page);
  assert.equal(states.valid_sum, 'fail');
  assert.equal(states.total_sum, 'fail');
  assert.equal(states.ballot_balance, 'ok');
  assert.equal(await submit.textContent(), 'Kirim (akan ditahan)');
  assert.equal(await page.locator(`${inputId('valid')}.checkfail`).count(), 1);
  // Letters are not a count: the box is marked and nothing can be sent.
  await page.locator(inputId('invalid')).fill('1O');
  assert.equal(await page.locator(inputId('invalid')).getAttribute('aria-invalid'), 'true');
  assert.equal(await submit.isDisabled(), true);

  await page.locator(inputId('invalid')).fill(String(body.invalid));
  await page.locator(inputId('valid')).fill(String(body.valid));
  states = await checkStates(page);
  assert.deepEqual(Object.entries(states).filter(([, s]) => s !== 'ok'), [], 'every check passes');
  assert.equal(await submit.textContent(), 'Kirim formulir');
  assert.equal(await page.locator('output.sum').first().textContent(), String(body.registered.dpt.m + body.registered.dpt.f));

  // The draft survives a reload before sending.
  await page.reload();
  await page.locator('form.entry').waitFor();
  // Section I's rows numbered as on the paper, the fourth the sum of the three.
  assert.deepEqual(await page.locator('table.lp tr.total th').allTextContents(),
    ['4. Jumlah pemilih (1+2+3)', '4. Jumlah seluruh pengguna hak pilih (1+2+3)']);
  assert.equal(await page.locator('table.lp tbody th').first().textContent(), '1. DPT');
  assert.equal(await page.locator(inputId('votes.1')).inputValue(), String(body.votes[1]));

  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { what: 'the form to be sent' });
  assert.equal(await item.locator('.receipt [data-status]').textContent(), 'Terhitung');
  const formId = Number((await item.locator('.receipt [data-k=form_id]').textContent()).slice(1));
  assert.equal(await item.locator('.receipt [data-k=revision]').textContent(), '1');
  assert.match(await item.locator('.receipt').textContent(), /Semua pemeriksaan lolos/);

  const tps = await server.get(`/api/v1/tps/${TPS}`);
  const entry = tps.contests.find((c) => c.contest === 'bup-62.03');
  assert.equal(entry.status, 'counted');
  assert.equal(entry.counted.form_id, formId);
  assert.equal(entry.history.length, 1);
  assert.deepEqual(entry.counted.votes, Object.fromEntries(Object.entries(body.votes).map(([k, v]) => [k, v])));
  assert.deepEqual(entry.counted.registered, body.registered);
  const node = await server.get('/api/v1/tally/bup-62.03/62.03');
  assert.equal(node.tps.counted, 1);
  assert.equal(node.valid, body.valid);
  assert.equal(await page.locator('#outbox-badge').isHidden(), true);

  // The outbox keeps the receipt; the TPS page shows the form. The outbox
  // list is drawn by its own listener, apart from the receipt above: wait for it.
  const kept = page.locator('#kotak-keluar .outbox-item[data-state=sent]');
  await kept.first().waitFor();
  assert.equal(await kept.count(), 1);
  await page.locator('#kotak-keluar').getByRole('link', { name: `TPS ${TPS}` }).click();
  await page.locator('section[data-contest="bup-62.03"]').waitFor();
  assert.equal(await page.locator('section[data-contest="bup-62.03"] tr[data-field="valid"] td').first().textContent(), idInt(body.valid));
  assert.deepEqual(page.errors, []);
});

test('a form refused by the server (token not allowed for the TPS) is shown as failed, not retried', async () => {
  const page = await browser.page();
  const other = '62.01.01.1011.001'; // outside the token's scope 62.03
  const info = await server.get(`/api/v1/regions/${other}`);
  await openEntry(page, server.url, { token: witness, tps: other, contest: 'gub-62' });
  await fillForm(page, goodForm(other, 'gub-62', info.dpt, { 1: 1, 2: 1, 3: 1, 4: 1 }));
  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'failed', { what: 'the 403 to be shown' });
  assert.match(await item.textContent(), /tidak berwenang/);
  const tps = await server.get(`/api/v1/tps/${other}`);
  assert.equal(tps.contests.find((c) => c.contest === 'gub-62').history.length, 0);
  assert.deepEqual(page.errors, []);
});
