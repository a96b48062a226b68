// The witness's receipt, checked in the browser against the public log: after
// sending a form the witness taps "Periksa di log publik" and the page, with
// WebCrypto alone (SHA-256 for the inclusion proof, Ed25519 for the signed
// head), shows "terverifikasi". A proof or a head altered on the way is
// refused (the page recomputes, it does not trust), and the proof can be kept.
// Run: node --test tests/browser/test_proof.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { goodForm, until, suara, scratch } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness, publicKey;
const TPS = '62.03.01.1006.002';

before(async () => {
  const keyPath = path.join(scratch, 'log.key');
  publicKey = suara('log', 'keygen', keyPath).trim();
  ({ server, browser, tokens: { witness } } = await stack.start('proof', {
    tokens: { witness: ['witness', '62.03', 'saksi Kapuas'] }, viewport: PHONE,
    serveArgs: ['--log-key', keyPath, '--sth-ms', '100'] }));
});

after(() => stack.stop());

async function sendForm(page) {
  const info = await server.get(`/api/v1/regions/${TPS}`);
  await openEntry(page, server.url, { token: witness, tps: TPS, contest: 'gub-62' });
  await fillForm(page, goodForm(TPS, 'gub-62', info.dpt, { 1: 3, 2: 1, 3: 2, 4: 1 }));
  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { what: 'the form to be sent' });
  return item;
}

async function check(item) {
  await item.getByRole('button', { name: 'Periksa di log publik' }).click();
  const dd = item.locator('dd.proof');
  await until(async () => !['checking', 'idle'].includes(await dd.getAttribute('data-proof')), { what: 'the proof check', timeout: 30000 });
  return dd;
}

test('a witness sees the receipt verified against the signed head, and can keep the proof', async () => {
  const page = await browser.page();
  const item = await sendForm(page);
  const dd = await check(item);
  assert.equal(await dd.getAttribute('data-proof'), 'verified');
  const text = await dd.textContent();
  assert.match(text, /^terverifikasi — entri \d+ dari \d+ dalam log yang ditandatangani /);
  assert.match(text, new RegExp(`kunci ${publicKey.slice(0, 16)}…`));

  const [download] = await Promise.all([page.waitForEvent('download'), dd.getByRole('button', { name: 'Simpan bukti' }).click()]);
  const saved = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  const formId = Number((await item.locator('.receipt [data-k=form_id]').textContent()).slice(1));
  assert.equal(saved.receipt.form_id, formId);
  assert.equal(saved.signed_tree_head.public_key, publicKey);
  assert.equal(saved.inclusion_proof.tree_size, saved.signed_tree_head.tree_size);
  assert.equal(download.suggestedFilename(), `bukti-formulir-${formId}.json`);

  await page.setViewportSize({ width: 360, height: 800 });
  await item.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(scratch, 'proof-360.png'), fullPage: false });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await item.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(scratch, 'proof-1920.png'), fullPage: false });
  if (process.env.SUARA_SCREENSHOT_DIR) {
    for (const f of ['proof-360.png', 'proof-1920.png']) fs.copyFileSync(path.join(scratch, f), path.join(process.env.SUARA_SCREENSHOT_DIR, f));
  }
  assert.deepEqual(page.errors, []);
});

test('an inclusion proof altered on the way is refused', async () => {
  const page = await browser.page();
  await page.route('**/api/v1/log/proof/inclusion*', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.audit_path[0] = (body.audit_path[0][0] === '0' ? '1' : '0') + body.audit_path[0].slice(1);
    await route.fulfill({ response: res, json: body });
  });
  const dd = await check(await sendForm(page));
  assert.equal(await dd.getAttribute('data-proof'), 'failed');
  assert.equal(await dd.textContent(), 'GAGAL: tanda terima tidak ada di pohon yang ditandatangani');
  assert.deepEqual(page.errors, []);
});

test('a signed head altered on the way is refused', async () => {
  const page = await browser.page();
  await page.route('**/api/v1/log/sth', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, json: { ...(await res.json()), timestamp: '2024-11-27T06:00:00.000Z' } });
  });
  const dd = await check(await sendForm(page));
  assert.equal(await dd.getAttribute('data-proof'), 'failed');
  assert.equal(await dd.textContent(), 'GAGAL: tanda tangan kepala log tidak sah');
  assert.deepEqual(page.errors, []);
});
