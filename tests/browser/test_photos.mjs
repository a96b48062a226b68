// Photos of the C.Hasil plano in a real browser: a witness photographs two
// pages while the phone is offline (the camera input, shrunk to a JPEG in the
// page), submits, comes back online; the form and both photos are stored once
// on the server, and both pages are shown beside the numbers on the TPS page
// (zoom and rotate) and in the review desk, next to the failed check.
// Run: node --test tests/browser/test_photos.mjs (needs SUARA_TEST_PG).
// SUARA_SCREENSHOTS=DIR also saves screenshots at 360 and 1920 px there.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { goodForm, until } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm, outboxEntries } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness, reviewer;
const T = '62.71.01.1001.005'; // Palangka Raya
const shots = process.env.SUARA_SCREENSHOTS || null;

// A 2400x1800 JPEG (larger than the page keeps: it must shrink it to 2000 px).
function cameraJpeg(seed) {
  const w = 2400, hgt = 1800;
  const header = Buffer.from(`P6\n${w} ${hgt}\n255\n`);
  const px = Buffer.alloc(w * hgt * 3);
  for (let i = 0; i < px.length; i += 3) { px[i] = (i / 3) % w % 256; px[i + 1] = seed * 40; px[i + 2] = Math.floor(i / 3 / w) % 256; }
  randomBytes(4096).copy(px, 0);
  return execFileSync('cjpeg', ['-quality', '90'], { input: Buffer.concat([header, px]) });
}

before(async () => {
  ({ server, browser, tokens: { witness, reviewer } } = await stack.start('photos', {
    tokens: { witness: ['witness', '62.71', 'saksi Palangka Raya'], reviewer: ['reviewer', '62', 'pemeriksa'] },
    viewport: PHONE }));
});

after(() => stack.stop());

async function shoot(page, name) {
  if (!shots) return;
  for (const width of [360, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize(PHONE);
}

test('two pages taken offline reach the server once online, and are shown on the TPS page and in the review desk', async () => {
  const page = await browser.page();
  const dpt = (await server.get(`/api/v1/regions/${T}`)).dpt;
  const body = goodForm(T, 'wal-62.71', dpt, { 1: 3, 2: 2 });
  body.votes['1'] += 1; // valid_sum fails: held, so the review desk lists it
  await openEntry(page, server.url, { token: witness, tps: T, contest: 'wal-62.71' });
  await fillForm(page, body);

  await browser.context.setOffline(true);
  await page.locator('#cam-input').setInputFiles([
    { name: 'hal1.jpg', mimeType: 'image/jpeg', buffer: cameraJpeg(1) },
    { name: 'hal2.jpg', mimeType: 'image/jpeg', buffer: cameraJpeg(2) },
  ]);
  await until(async () => (await page.locator('li.photo-page').count()) === 2, { what: 'two pages in the list' });
  // Reorder: page 2 goes first, then back; the list follows.
  const firstSrc = await page.locator('li.photo-page img').first().getAttribute('src');
  await page.getByRole('button', { name: 'Halaman 2 naik' }).click();
  assert.notEqual(await page.locator('li.photo-page img').first().getAttribute('src'), firstSrc);
  await page.getByRole('button', { name: 'Halaman 1 turun' }).click();
  assert.equal(await page.locator('li.photo-page img').first().getAttribute('src'), firstSrc);
  await shoot(page, 'photos-camera');

  await page.locator('.submit-bar button[type=submit]').click();
  // A form that will be held is sent on a second, explicit press.
  await page.getByRole('button', { name: 'Ya, kirim walau akan ditahan' }).click();
  const item = page.locator('.sent-status .outbox-item');
  await item.locator('.offline-note').waitFor();
  const [entry] = (await outboxEntries(page)).filter((e) => e.body.tps === T);
  assert.equal(entry.body.photos.length, 2);
  assert.equal(await item.locator('.photo-progress').getAttribute('data-sent'), '0');

  await browser.context.setOffline(false);
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the form to be sent' });
  await until(async () => (await item.locator('.photo-progress').getAttribute('data-sent')) === '2',
    { timeout: 45000, what: 'both photos to be sent' });

  // Stored once: one form naming both pages, both photos stored, as shrunk.
  const tps = await server.get(`/api/v1/tps/${T}`);
  const history = tps.contests.find((c) => c.contest === 'wal-62.71').history;
  assert.equal(history.length, 1);
  assert.deepEqual(history[0].photos.map((p) => p.sha256), entry.body.photos);
  assert.deepEqual(history[0].photos.map((p) => p.stored), [true, true]);
  for (const sha of entry.body.photos) {
    const res = await fetch(`${server.url}/api/v1/photos/${sha}`);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sha);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.ok(bytes.length < 2400 * 1800 * 3 / 4, 'the page sent a shrunk JPEG');
  }

  // The TPS page: both pages beside the numbers; one opens, rotates, zooms.
  await page.goto(`${server.url}/tps/${T}/`);
  await page.locator('details[data-form] summary').first().click();
  await until(async () => (await page.locator('.photo-thumb img').count()) === 2, { what: 'two thumbnails on the TPS page' });
  await page.getByRole('button', { name: /Buka Foto formulir #\d+, halaman 2/ }).click();
  const viewer = page.locator('dialog.photo-viewer');
  await viewer.waitFor();
  await viewer.getByRole('button', { name: 'Putar ↻' }).click();
  assert.match(await viewer.locator('img').getAttribute('style'), /rotate\(90deg\)/);
  await shoot(page, 'photos-viewer');
  await viewer.getByRole('button', { name: 'Tutup' }).click();
  assert.equal(await page.locator('dialog.photo-viewer').count(), 0);
  await shoot(page, 'photos-tps');

  // The review desk: the held form's pages next to its failed check.
  const desk = await browser.page();
  await desk.goto(`${server.url}/review`);
  await desk.locator('.token-card').waitFor();
  if (await desk.locator('#token-reviewer').count()) {
    await desk.locator('#token-reviewer').fill(reviewer);
    await desk.getByRole('button', { name: 'Simpan token' }).click();
  }
  await desk.locator('table.review-table').waitFor();
  await desk.locator(`tr[data-form="${history[0].form_id}"]`).getByRole('button', { name: 'Periksa' }).click();
  await until(async () => (await desk.locator('.rv-photos .photo-thumb img').count()) === 2, { what: 'two photos in the review desk' });
  assert.equal(await desk.locator('[data-check=valid_sum]').count(), 1);
  await shoot(desk, 'photos-review');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(desk.errors, []);
});
