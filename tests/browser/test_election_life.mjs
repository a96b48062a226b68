// The election's life in the web client, as an operator lives it: during the
// rehearsal every page says SIMULASI (a banner first on the page, a watermark
// over the viewport, both in print too; on the big screens over their bottom
// edge, keeping their one-screen layout); the admin page finalises a region
// behind a confirmation that names region and contest, lists the final
// regions and the audit trail; the dashboard shows Final on the final node
// and its row; a witness's form there is refused with the reason in words;
// an admin amends a final TPS's form on the admin page, and the
// amendment is marked in the TPS history and in the review desk; going live
// (`suara election live --confirm` while the pages are open) takes SIMULASI
// off an open page by itself. At 360 px and 1920 px (screenshots into
// SUARA_SCREENSHOT_DIR).
// Run: node --test tests/browser/test_election_life.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { goodForm, until, suara } from './lib/suara.mjs';
import { fillForm, inputId, openEntry } from './lib/witness.mjs';
import { Stack } from './lib/stack.mjs';

const stack = new Stack();
let server, browser, admin, witness, witness2, reviewer;
const TPS = '62.01.01.1011.001';
const OPEN_TPS = '62.71.01.1001.001'; // in Palangka Raya, never finalised here
const FINAL_TPS2 = '62.01.01.1011.002'; // beside TPS, in the kabupaten finalised below

before(async () => {
  ({ server, browser, tokens: { admin, witness, witness2, reviewer } } = await stack.start('life', {
    tokens: {
      admin: ['admin', '62', 'admin provinsi'], witness: ['witness', '62'], witness2: ['witness', '62'],
      reviewer: ['reviewer', '62'],
    } }));
});

after(() => stack.stop());

async function shot(page, name) {
  if (process.env.SUARA_SCREENSHOT_DIR)
    await page.screenshot({ path: path.join(process.env.SUARA_SCREENSHOT_DIR, `${name}.png`) });
}

const watermark = (page) => page.evaluate(() => getComputedStyle(document.body, '::after').content);

async function sendForm(tps, contest, shares, token, extra = {}) {
  const { dpt } = (await server.request('GET', `/api/v1/regions/${tps}`)).data;
  const r = await server.request('POST', '/api/v1/forms', { ...goodForm(tps, contest, dpt, shares), ...extra }, token);
  assert.ok(r.status === 201, JSON.stringify(r.data));
  return r.data;
}

test('every page of a rehearsal says SIMULASI: a banner first on the page and a watermark, on screen and in print', async () => {
  const page = await browser.page();
  for (const width of [360, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    for (const p of ['/', '/c/gub-62/62.01/', `/tps/${TPS}/`, '/saksi', '/review', '/pemantauan', '/admin', '/tidak-ada']) {
      await page.goto(`${server.url}${p}`);
      const banner = page.locator('#simulasi');
      await banner.waitFor({ state: 'visible' });
      assert.match(await banner.textContent(), /^\s*SIMULASI — latihan penghitungan/, p);
      const box = await banner.boundingBox();
      assert.equal(box.y, 0, `${p}: the banner is the first thing on the page`);
      assert.ok(box.width >= width - 1, `${p}: the banner spans the page at ${width} px`);
      assert.equal(await watermark(page), '"SIMULASI"', `${p}: the watermark`);
    }
    await page.goto(`${server.url}/`);
    await page.locator('#simulasi').waitFor({ state: 'visible' });
    await shot(page, `simulasi-${width}`);
  }
  // A big screen keeps its one-screen layout: the banner lies over its bottom edge.
  await page.setViewportSize({ width: 1920, height: 1080 });
  for (const [p, ready] of [['/c/gub-62/62/?tv=1', 'li.ov-card'], ['/pemantauan/gub-62/?tv=1', 'table.counters tbody tr']]) {
    await page.goto(`${server.url}${p}`);
    await page.locator(ready).first().waitFor();
    // The banner shows once GET /api/v1/status answers, apart from the view.
    await page.locator('#simulasi').waitFor({ state: 'visible' });
    const box = await page.locator('#simulasi').boundingBox();
    assert.ok(box && Math.abs(box.y + box.height - 1080) < 1, `${p}: the banner at the bottom edge (${JSON.stringify(box)})`);
    assert.equal(await watermark(page), '"SIMULASI"', `${p}: the watermark`);
  }
  await shot(page, 'simulasi-tv');
  await page.goto(`${server.url}/?tv=0`);
  await page.locator('#simulasi').waitFor({ state: 'visible' }); // shown once the status answers
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('#simulasi').isVisible(), true, 'the banner prints too');
  assert.equal(await watermark(page), '"SIMULASI"', 'the watermark prints too');
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(page.errors, []);
});

test('the admin finalises a region after a confirmation naming it, sees it listed and audited, and the dashboard shows Final', async () => {
  await sendForm(TPS, 'gub-62', { 1: 5, 2: 3, 3: 2, 4: 1 }, witness);

  const page = await browser.page();
  await page.setViewportSize({ width: 1920, height: 1000 });
  await page.goto(`${server.url}/admin`);
  await page.locator('#token-admin').fill(witness);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  await until(async () => (await page.locator('#token-admin-msg').textContent()) === 'Token ini milik peran witness, bukan admin.',
              { what: 'a witness token refused' });
  await page.locator('#token-admin').fill(admin);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  await until(async () => (await page.locator('.final-list li').textContent()) === 'Belum ada wilayah yang final.', { what: 'the empty final list' });
  await page.locator('#final-contest').selectOption('gub-62');
  await page.locator('#final-region').fill('62.01');
  await page.locator('#final-reason').fill('Pleno rekapitulasi Kotawaringin Barat');
  let asked = null;
  page.once('dialog', async (d) => { asked = d.message(); await d.dismiss(); });
  await page.getByRole('button', { name: 'Tetapkan final…' }).click();
  await until(async () => (await page.locator('#final-msg').textContent()) === 'Dibatalkan.', { what: 'the refusal' });
  assert.match(asked, /^Tetapkan hasil FINAL untuk Kabupaten Kotawaringin Barat \(62\.01\) pada .*Gubernur/);
  assert.equal((await server.get('/api/v1/tally/gub-62/62.01')).final, false, 'not final after Cancel');

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Tetapkan final…' }).click();
  await until(async () => (await page.locator('#final-msg').textContent()).startsWith('Kabupaten Kotawaringin Barat final pada'),
              { what: 'the finalisation' });
  assert.equal((await server.get('/api/v1/tally/gub-62/62.01')).final, true);
  await until(async () => (await page.locator('.final-list li[data-region="62.01"][data-contest="gub-62"]').count()) === 1,
              { what: '62.01 in the final list' });
  await until(async () => (await page.locator('table.audit tr[data-kind="finalize"]').count()) === 1,
              { what: 'the finalize event in the audit list' });
  const created = (await server.request('GET', '/api/v1/audit?kind=token_created', undefined, admin)).data.events;
  assert.deepEqual(created.map((e) => e.detail.name).sort(), ['admin provinsi', 'browser test reviewer',
    'browser test witness', 'browser test witness'].sort(), 'one event per token the test made');
  await page.locator('#audit-kind').selectOption('token_created');
  await until(async () => (await page.locator('table.audit tbody tr').count()) === created.length
                && (await page.locator('table.audit tbody tr[data-kind="token_created"]').count()) === created.length,
              { what: 'the token_created events alone' });
  await shot(page, 'admin-1920');
  await page.setViewportSize({ width: 360, height: 900 });
  await shot(page, 'admin-360');

  // The kabupaten: Final in the top strip; the province: not, but its row of 62.01 says so.
  await page.goto(`${server.url}/c/gub-62/62.01/`);
  await page.locator('.strip [data-k="final"]').waitFor({ state: 'visible' });
  await page.goto(`${server.url}/c/gub-62/62/`);
  const row = page.locator('table.tally tr[data-region="62.01"] .flags');
  await until(async () => (await row.textContent()) === 'Final', { what: 'the Final mark on the row of 62.01' });
  assert.equal(await page.locator('.strip [data-k="final"]').isHidden(), true, 'the province is not final');
  assert.equal(await page.locator('table.tally tr[data-region="62.02"] .flags').textContent(), '', 'nor is 62.02');
  assert.deepEqual(page.errors, []);
});

test('a witness\'s form inside the final region is refused, stored nowhere, and the witness reads why', async () => {
  const page = await browser.page();
  await openEntry(page, server.url, { token: witness, tps: FINAL_TPS2, contest: 'gub-62' });
  const { dpt } = await server.get(`/api/v1/regions/${FINAL_TPS2}`);
  await fillForm(page, goodForm(FINAL_TPS2, 'gub-62', dpt, { 1: 1, 2: 2, 3: 3, 4: 4 }));
  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'failed', { what: 'the refusal' });
  assert.match(await item.locator('.notice.error').textContent(), /^Hasil wilayah ini sudah final \(sesudah pleno\)/);
  const tps = await server.get(`/api/v1/tps/${FINAL_TPS2}`);
  assert.equal(tps.contests.find((c) => c.contest === 'gub-62').history.length, 0, 'nothing stored');
  assert.deepEqual(page.errors, []);
});

test('an admin amends a final TPS on the admin page; the amendment is marked in the TPS history and, when a witness disagrees with one, in the review desk', async () => {
  const before = (await server.get(`/api/v1/tps/${TPS}`)).contests.find((c) => c.contest === 'gub-62').counted;
  const page = await browser.page(); // the admin's token is kept in this browser since the second test
  await page.goto(`${server.url}/admin`);
  await page.locator('#amend-tps').fill(TPS);
  await page.locator('#amend-contest').selectOption('gub-62');
  await page.getByRole('button', { name: 'Buka formulir' }).click();
  await page.locator('.amend-form form.entry').waitFor();
  assert.equal(await page.locator(inputId('votes.1')).inputValue(), String(before.votes[1]), 'the form starts from the counted one');
  const { dpt } = await server.get(`/api/v1/regions/${TPS}`);
  const body = goodForm(TPS, 'gub-62', dpt, { 1: 4, 2: 4, 3: 2, 4: 1 });
  await fillForm(page, body);
  await page.locator('.amend-form .submit-bar button[type=submit]').click();
  await until(async () => (await page.locator('#amend-sent').textContent()) === 'Tuliskan alasan amandemen.', { what: 'the reason asked for' });
  await page.locator('#amend-reason').fill('Putusan MK: hitung ulang');
  await page.locator('.amend-form .submit-bar button[type=submit]').click();
  await page.locator('[data-k="amended"]').waitFor();
  const after = (await server.get(`/api/v1/tps/${TPS}`)).contests.find((c) => c.contest === 'gub-62').counted;
  assert.deepEqual({ revision: after.revision, votes: after.votes, amendment: after.amendment },
    { revision: before.revision + 1, votes: body.votes, amendment: { reason: 'Putusan MK: hitung ulang' } });
  await until(async () => (await page.locator('table.audit tr[data-kind="amendment"]').count()) === 1, { what: 'the amendment audited' });

  await page.goto(`${server.url}/tps/${TPS}/?c=gub-62`);
  const item = page.locator(`details[data-form="${after.form_id}"]`);
  await until(async () => (await item.locator('.badge.amendment').count()) === 1, { what: 'the amendment mark' });
  await item.locator('summary').click();
  assert.equal(await item.locator('p.amendment').textContent(), 'Amandemen admin — “Putusan MK: hitung ulang”');
  assert.equal(await page.locator('section[data-contest="gub-62"] > p.amendment').textContent(),
    'Amandemen admin — “Putusan MK: hitung ulang”', 'the counted form is the amendment');

  // Outside a final region a witness may still disagree with an amendment: the reviewer sees what it disagrees with.
  const first = await sendForm(OPEN_TPS, 'gub-62', { 1: 2, 2: 3, 3: 4, 4: 1 }, witness);
  await sendForm(OPEN_TPS, 'gub-62', { 1: 3, 2: 3, 3: 4, 4: 1 }, admin, { amendment: { reason: 'Salinan DA1 kecamatan' } });
  const other = await sendForm(OPEN_TPS, 'gub-62', { 1: 2, 2: 3, 3: 4, 4: 1 }, witness2);
  assert.equal(other.status, 'disputed', JSON.stringify(other));
  assert.notEqual(first.form_id, other.form_id);
  await page.goto(`${server.url}/review?form=${other.form_id}`);
  await page.locator('#token-reviewer').fill(reviewer);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  const note = page.locator('#detail [data-k="counted-amendment"]');
  await note.waitFor();
  assert.match(await note.textContent(), /adalah amandemen admin:Amandemen admin — “Salinan DA1 kecamatan”$/);
  assert.match(await page.locator('#detail table.form-table').textContent(), /\(amandemen\)/);
  assert.deepEqual(page.errors, []);
});

test('going live while pages are open: the open dashboard drops SIMULASI by itself, the audit trail records the switch', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/c/gub-62/62.71/`);
  await page.locator('#simulasi').waitFor({ state: 'visible' });
  await page.locator('table.tally tbody tr').first().waitFor();

  const dry = suara('election', 'live', '--db', stack.db.conninfo);
  assert.match(dry, /would delete 5 rows of forms/, dry);
  assert.equal((await server.get('/api/v1/status')).mode, 'test', 'without --confirm nothing changes');
  suara('election', 'live', '--db', stack.db.conninfo, '--confirm');

  // The server runs itself again on the live state; the page hears it on its live feed.
  await until(async () => await page.locator('#simulasi').isHidden() && (await page.evaluate(() => document.documentElement.dataset.mode)) === 'live',
              { timeout: 30000, what: 'the open page to go live' });
  assert.equal(await watermark(page), 'none', 'no watermark once live');
  const st = await server.get('/api/v1/status');
  assert.equal(st.mode, 'live');
  assert.deepEqual(st.final, [], 'the rehearsal\'s final regions are gone');
  await shot(page, 'live-1920');

  const admin2 = await browser.page(); // the admin's token is kept in this browser since the second test
  await admin2.goto(`${server.url}/admin`);
  await until(async () => (await admin2.locator('table.audit tr[data-kind="mode"]').count()) === 1, { what: 'the mode event' });
  assert.equal(await admin2.locator('#simulasi').isHidden(), true, 'a page opened after the switch has no banner');
  const detail = await admin2.locator('table.audit tr[data-kind="mode"] td.detail').textContent();
  assert.match(detail, /\bto: live\b/, detail);
  assert.match(detail, /\bfrom: test\b.*\bdeleted: \{"forms":5,"finals":1,/);
  assert.equal(await admin2.locator('.final-list li').textContent(), 'Belum ada wilayah yang final.');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(admin2.errors, []);
});
