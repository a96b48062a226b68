// Before and after sending, at the TPS: the dispute alert (a second
// witness's conflicting form shows on the first witness's phone at once,
// box by box, with "Koreksi formulir saya"), the warning that the TPS already
// has a counted form from another witness, the second press a held form
// needs, a held form's alert, and the receipt with its hash and numbers.
// Run: node --test tests/browser/test_witness_dispute.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until } from './lib/suara.mjs';
import { launch } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm, inputId, outboxEntries } from './lib/witness.mjs';

const TPS = '62.71.01.1001.001';
const CONTEST = 'wal-62.71';
const PHONE_360 = { width: 360, height: 740 };
const stack = new Stack();
let server, browser, tokens;

before(async () => {
  ({ server, browser, tokens } = await stack.start('witness_dispute', {
    tokens: { a: ['witness', TPS, 'Saksi A'], b: ['witness', TPS, 'Saksi B'], c: ['witness', TPS, 'Saksi C'] },
    viewport: PHONE_360,
  }));
});

after(() => stack.stop());

async function sendThroughPage(page, token, body) {
  await openEntry(page, server.url, { token, tps: TPS, contest: CONTEST });
  await fillForm(page, body);
  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { what: 'the form to be sent' });
  return item;
}

test('a second witness\'s conflicting form shows on the first witness\'s phone at once, box by box, and "Koreksi formulir saya" loads their numbers', async () => {
  const dpt = (await server.get(`/api/v1/regions/${TPS}`)).dpt;
  const mine = goodForm(TPS, CONTEST, dpt, { 1: 3, 2: 2 });
  const page = await browser.page();
  const item = await sendThroughPage(page, tokens.a, mine);

  // The receipt: the server's hash, and the numbers that were sent.
  const counted = (await server.get(`/api/v1/tps/${TPS}`)).contests.find((c) => c.contest === CONTEST).counted;
  assert.equal(await item.locator('.receipt [data-k=receipt]').textContent(), counted.receipt);
  assert.equal(await item.locator('.receipt .sent-numbers [data-field="votes.1"]').textContent(), String(mine.votes[1]));
  assert.equal(await item.locator('.receipt .sent-numbers [data-field="ballots.received"]').textContent(), String(mine.ballots.received));

  const watch = page.locator('.dispute-watch');
  await until(async () => (await watch.locator('[data-state]').getAttribute('data-state')) === 'watching', { what: 'the watch to start' });

  // Witness B reads 2 votes the other way round, and sends.
  const theirs = structuredClone(mine);
  theirs.submission_id = crypto.randomUUID();
  theirs.votes[1] += 2;
  theirs.votes[2] -= 2;
  const r = await server.request('POST', '/api/v1/forms', theirs, tokens.b);
  assert.equal(r.data.status, 'disputed');

  const alert = watch.locator('.dispute-alert[data-state=differs]');
  await alert.waitFor({ timeout: 20000 });
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.equal(await alert.locator('h3').textContent(), 'Berbeda — perlu dicek');
  const rows = await alert.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.field,
    tr.querySelector('[data-k=mine]').textContent, tr.querySelector('[data-k=theirs]').textContent]));
  assert.deepEqual(rows, [
    ['votes.1', String(mine.votes[1]), String(theirs.votes[1])],
    ['votes.2', String(mine.votes[2]), String(theirs.votes[2])],
  ]);

  await alert.getByRole('button', { name: 'Koreksi formulir saya' }).click();
  await page.locator('form.entry').waitFor();
  assert.equal(await page.locator(inputId('votes.1')).inputValue(), String(mine.votes[1]));
  assert.equal(await page.locator(inputId('registered.dpt.m')).inputValue(), String(mine.registered.dpt.m));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('before sending: the TPS\'s counted form from another witness is announced; a form that will be held needs a second press, then its alert shows', async () => {
  const dpt = (await server.get(`/api/v1/regions/${TPS}`)).dpt;
  const phone = await launch({ viewport: PHONE_360 }); // witness C's own phone
  try {
    await heldFlow(await phone.page(), dpt);
  } finally {
    await phone.close();
  }
});

async function heldFlow(page, dpt) {
  await openEntry(page, server.url, { token: tokens.c, tps: TPS, contest: CONTEST });
  const already = page.locator('[data-k=already-counted]');
  await already.waitFor();
  assert.match(await already.textContent(), /sudah punya formulir terhitung dari saksi lain/);

  // The hint of a box describes it; it is not part of its name.
  const received = page.locator(inputId('ballots.received'));
  assert.equal(await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return el.labels[0].querySelector('span').textContent;
  }, inputId('ballots.received')), '1. Jumlah surat suara yang diterima');
  const described = await received.getAttribute('aria-describedby');
  assert.equal(await page.locator(`#${described}`).textContent(), 'termasuk surat suara cadangan 2,5%');

  const held = goodForm(TPS, CONTEST, dpt, { 1: 1, 2: 1 });
  held.valid += 1; // valid_sum and total_sum fail: held
  await fillForm(page, held);
  const submit = page.locator('.submit-bar button[type=submit]');
  assert.equal(await submit.textContent(), 'Kirim (akan ditahan)');
  await submit.click();
  assert.equal(await submit.textContent(), 'Ya, kirim walau akan ditahan');
  assert.match(await page.locator('#submit-note').textContent(), /Tekan sekali lagi/);
  assert.equal((await outboxEntries(page)).filter((e) => e.token === tokens.c).length, 0, 'nothing sent on the first press');
  await submit.click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { what: 'the held form to be sent' });
  assert.equal(await item.locator('.receipt [data-status]').textContent(), 'Ditahan');
  const alert = page.locator('.dispute-watch .dispute-alert[data-state=held]');
  await alert.waitFor({ timeout: 20000 });
  assert.match(await alert.textContent(), /Formulir Anda ditahan/);
  assert.equal(await alert.getByRole('button', { name: 'Koreksi formulir saya' }).count(), 1);
  assert.deepEqual(page.errors, []);
}
