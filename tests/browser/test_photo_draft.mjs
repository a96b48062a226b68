// The photos of a draft survive a reload: a witness with a one-TPS token
// types the form, photographs two pages of the plano and reorders them, and
// the page is reloaded before "Kirim" (as when the phone kills the browser).
// The same two pages come back in the same order, with the same bytes (kept
// in IndexedDB, database "suara", store "drafts", under the numbers' draft
// key); once sent, the form and both photos are stored once on the server
// and the draft's pages are gone from the phone.
// Run: node --test tests/browser/test_photo_draft.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { goodForm, until } from './lib/suara.mjs';
import { PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { openEntry, fillForm, outboxEntries } from './lib/witness.mjs';

const stack = new Stack();
let server, browser, witness;
const T = '62.71.01.1001.002'; // Palangka Raya
const CONTEST = 'wal-62.71';
const DRAFT = `suara.draft.${T}.${CONTEST}`;

// A 2400x1800 JPEG whose green channel is seed * 40 everywhere, so a page
// shrunk by the browser still says which photo it was.
function cameraJpeg(seed) {
  const w = 2400, hgt = 1800;
  const header = Buffer.from(`P6\n${w} ${hgt}\n255\n`);
  const px = Buffer.alloc(w * hgt * 3);
  for (let i = 0; i < px.length; i += 3) { px[i] = (i / 3) % w % 256; px[i + 1] = seed * 40; px[i + 2] = Math.floor(i / 3 / w) % 256; }
  return execFileSync('cjpeg', ['-quality', '90'], { input: Buffer.concat([header, px]) });
}

// In the page: the pages the list shows and the draft's pages stored in
// IndexedDB, in order, each as the photo (seed) it shows, read from its
// green channel in the middle; the stored ones with their SHA-256 and size.
function pages(page) {
  return page.evaluate(async (key) => {
    const seedOf = async (src) => {
      const bitmap = await createImageBitmap(src);
      const c = document.createElement('canvas');
      c.width = bitmap.width;
      c.height = bitmap.height;
      const g = c.getContext('2d');
      g.drawImage(bitmap, 0, 0);
      return Math.round(g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data[1] / 40);
    };
    const asked = (req) => new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const db = await asked(indexedDB.open('suara'));
    const row = await asked(db.transaction('drafts').objectStore('drafts').get(key));
    db.close();
    const hex = (buf) => [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, '0')).join('');
    const imgs = [...document.querySelectorAll('li.photo-page img')];
    return {
      // The previews load lazily: each is brought into view, as the witness scrolls to it.
      shown: await Promise.all(imgs.map(async (img) => { img.scrollIntoView(); await img.decode(); return seedOf(img); })),
      stored: await Promise.all((row?.pages || []).map(async (b) => ({
        seed: await seedOf(b), sha256: hex(await crypto.subtle.digest('SHA-256', await b.arrayBuffer())), bytes: b.size,
      }))),
    };
  }, DRAFT);
}

before(async () => {
  ({ server, browser, tokens: { witness } } = await stack.start('photo_draft', {
    tokens: { witness: ['witness', T, 'saksi TPS 002'] }, viewport: PHONE }));
});

after(() => stack.stop());

test('two pages of a draft survive a reload in their order and bytes, and are sent once with the form', async () => {
  const page = await browser.page();
  const dpt = (await server.get(`/api/v1/regions/${T}`)).dpt;
  const body = goodForm(T, CONTEST, dpt, { 1: 3, 2: 2 });
  await openEntry(page, server.url, { token: witness, tps: T, contest: CONTEST });
  await fillForm(page, body);
  await page.locator('#cam-input').setInputFiles([
    { name: 'hal1.jpg', mimeType: 'image/jpeg', buffer: cameraJpeg(1) },
    { name: 'hal2.jpg', mimeType: 'image/jpeg', buffer: cameraJpeg(2) },
  ]);
  await until(async () => (await page.locator('li.photo-page').count()) === 2, { what: 'two pages in the list' });
  // The second photo becomes page 1: the order kept is the witness's.
  await page.getByRole('button', { name: 'Halaman 2 naik' }).click();
  assert.deepEqual((await pages(page)).shown, [2, 1]);
  let kept;
  await until(async () => { kept = (await pages(page)).stored; return kept.map((p) => p.seed).join() === '2,1'; },
    { what: 'the draft\'s pages stored in the new order' });

  await page.reload();
  await until(async () => (await page.locator('li.photo-page').count()) === 2, { what: 'the two pages back after the reload' });
  assert.deepEqual(await pages(page), { shown: [2, 1], stored: kept });
  assert.match(await page.locator('li.photo-page .page-no').first().textContent(), new RegExp(`· ${Math.round(kept[0].bytes / 1024)} KB`));

  await page.locator('.submit-bar button[type=submit]').click();
  const item = page.locator('.sent-status .outbox-item');
  await until(async () => (await item.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the form to be sent' });
  await until(async () => (await item.locator('.photo-progress').getAttribute('data-sent')) === '2',
    { timeout: 45000, what: 'both photos to be sent' });
  const entries = (await outboxEntries(page)).filter((e) => e.body.tps === T);
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0].body.photos, kept.map((p) => p.sha256));
  await until(async () => (await pages(page)).stored.length === 0, { what: 'the draft\'s pages to be gone once sent' });

  // Stored once: one form naming both pages in their order, both photos stored, byte for byte.
  const tps = await server.get(`/api/v1/tps/${T}`);
  const history = tps.contests.find((c) => c.contest === CONTEST).history;
  assert.equal(history.length, 1);
  assert.deepEqual(history[0].photos.map((p) => [p.sha256, p.stored]), kept.map((p) => [p.sha256, true]));
  for (const p of kept) {
    const res = await fetch(`${server.url}/api/v1/photos/${p.sha256}`);
    assert.equal(res.status, 200);
    assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), p.sha256);
  }
  assert.deepEqual(page.errors, []);
});
