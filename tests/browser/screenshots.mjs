// Screenshots of every page at desktop (1366x900) and phone (390x844) widths,
// and of the big-screen mode at 1920x1080 (one screen, not the full page),
// into docs/screenshots/, against a fresh database filled with a plausible
// election night: about one TPS in eight counted with the provincial
// pattern of votes, a few held forms and one dispute whose two forms carry a
// photo of their plano each (drawn by the browser: a sheet with the form's
// numbers written on it). Not run by ctest:
//   SUARA_TEST_PG=... node tests/browser/screenshots.mjs

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Database, Server, goodForm, until, SOURCE_DIR } from './lib/suara.mjs';
import { launch, DESKTOP, PHONE } from './lib/browser.mjs';
import { openEntry, fillForm } from './lib/witness.mjs';

const OUT = path.join(SOURCE_DIR, 'docs', 'screenshots');
const SEED = path.join(SOURCE_DIR, 'schema', 'seed', 'kalteng-2024');
const MAX_HEIGHT = 3200;
const TV = { width: 1920, height: 1080 };

const csv = (file) => fs.readFileSync(path.join(SEED, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

// Vote weights per kabupaten from the published partial results; the
// province's pattern elsewhere.
function weights() {
  const byKab = {};
  for (const [code, , n, votes] of csv('kalteng_pilgub2024_hasil_partial.csv')) (byKab[code] ??= {})[n] = Number(votes);
  return (tps) => byKab[tps.slice(0, 5)] || { 1: 279, 2: 469, 3: 485, 4: 67 };
}

// A JPEG standing in for a phone's photo of the plano: the C.Hasil sheet
// with the pairs' votes written in, slightly turned, drawn by the browser.
async function planoPhoto(browser, title, votes) {
  const page = await browser.page();
  await page.setViewportSize({ width: 900, height: 1200 });
  const rows = Object.entries(votes).map(([n, v]) => `<tr><td>0${n}</td><td>Pasangan calon ${n}</td><td class=v>${v}</td></tr>`).join('');
  await page.setContent(`<body style="margin:0;background:#6b5b4b;display:grid;place-items:center;height:1200px">
    <div style="transform:rotate(-2deg);background:#f4f1e6;width:780px;padding:40px;font:22px serif;box-shadow:0 8px 30px #0008">
      <h1 style="font-size:30px;text-align:center">MODEL C.HASIL-KWK</h1><p>${title}</p>
      <table style="width:100%;border-collapse:collapse" border=2 cellpadding=12>${rows}</table>
      <p style="margin-top:60px">Ketua KPPS ______________ &nbsp; Saksi ______________</p></div>
    <style>.v{font:italic 44px cursive;color:#1b3a8a;text-align:center}</style></body>`);
  const jpeg = await page.screenshot({ type: 'jpeg', quality: 80 });
  await page.close();
  return { jpeg, sha256: createHash('sha256').update(jpeg).digest('hex') };
}

async function putPhoto(server, token, photo) {
  const r = await fetch(`${server.url}/api/v1/photos/${photo.sha256}`, {
    method: 'PUT', body: photo.jpeg, headers: { 'Content-Type': 'image/jpeg', Authorization: `Bearer ${token}` } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`photo upload: ${r.status} ${await r.text()}`);
}

async function populate(server, witness, second, photos) {
  const share = weights();
  const tpsRows = csv('kalteng_tps.csv');
  let n = 0;
  for (const [i, [code, , , dpt]] of tpsRows.entries()) {
    if (i % 8 !== 3) continue;
    const body = goodForm(code, 'gub-62', Number(dpt), share(code), { turnout: 0.62 + (i % 7) / 50, invalidShare: (i % 5) / 100 });
    if (i % 89 === 11) body.valid += 4; // a few held forms
    // The TPS of the dispute below: its first form names a photo of its plano.
    const photo = i === 3 ? await photos(`TPS ${code}`, body.votes) : null;
    if (photo) body.photos = [photo.sha256];
    const r = await server.request('POST', '/api/v1/forms', body, witness);
    if (r.status !== 201) throw new Error(JSON.stringify(r.data));
    if (photo) await putPhoto(server, witness, photo);
    n++;
  }
  // One dispute: a second witness reads two numbers differently, with a
  // photo of the plano as they read it.
  const [code, , , dpt] = tpsRows[3];
  const other = goodForm(code, 'gub-62', Number(dpt), share(code), { turnout: 0.62, invalidShare: 0 });
  other.votes[2] += 7; other.votes[3] -= 7;
  const theirs = await photos(`TPS ${code}`, other.votes);
  other.photos = [theirs.sha256];
  await server.request('POST', '/api/v1/forms', other, second);
  await putPhoto(server, second, theirs);
  return { forms: n, disputedTps: code };
}

async function shoot(page, name, width, { full = true } = {}) {
  const size = width === DESKTOP.width ? 'desktop' : width === TV.width ? 'tv' : 'phone';
  const file = path.join(OUT, `${name}-${size}.png`);
  // Sticky parts would be drawn in the middle of a full-page image.
  // Through the CSSOM: the pages' Content-Security-Policy refuses injected <style> elements.
  await page.evaluate(() => {
    // The review desk's form pane and queue scroll inside the screen: the
    // whole of each shows, from its top (the photos above the numbers).
    for (const el of document.querySelectorAll('.submit-bar, .checks-card, .review-detail, .review-queue .table-wrap')) {
      el.style.setProperty('position', 'static', 'important');
      el.style.setProperty('max-height', 'none', 'important');
      el.style.setProperty('overflow', 'visible', 'important');
    }
  });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (full) await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width, height: Math.min(height, MAX_HEIGHT) } });
  else await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(SOURCE_DIR, file)}`);
}

const db = new Database('screens');
const witness = db.token('witness', '62', 'saksi');
const second = db.token('witness', '62', 'saksi kedua');
const reviewer = db.token('reviewer', '62', 'pemeriksa');
const server = await Server.launch(db);
fs.mkdirSync(OUT, { recursive: true });
try {
  const painter = await launch({ viewport: DESKTOP });
  const photo = (title, votes) => planoPhoto(painter, title, votes);
  const { forms, disputedTps } = await populate(server, witness, second, photo);
  const pages = [await photo('TPS 62.71.01.1001.001 — halaman 1', { 1: 3, 2: 2 }), await photo('halaman 2', { 1: 0, 2: 0 })];
  await painter.close();
  console.log(`${forms} forms`);
  for (const viewport of [DESKTOP, PHONE]) {
    const browser = await launch({ viewport });
    const page = await browser.page();
    const live = async () => until(async () => /terhubung/.test(await page.locator('#live-state').textContent()), { what: 'live' });

    await page.goto(`${server.url}/`);
    await page.locator('li.cand').first().waitFor();
    await live();
    await shoot(page, 'dashboard', viewport.width);

    await page.goto(`${server.url}/c/gub-62/${disputedTps.slice(0, 13)}/`);
    await page.locator('table.tally').waitFor();
    await live();
    await shoot(page, 'dashboard-desa', viewport.width);

    await page.goto(`${server.url}/tps/${disputedTps}/?c=gub-62`);
    await page.locator('section[data-contest="gub-62"]').waitFor();
    await page.locator('ol.history details').first().evaluate((d) => { d.open = true; });
    await shoot(page, 'tps', viewport.width);

    // A witness half way through a form, one check failing.
    const code = '62.71.01.1001.001';
    const dpt = (await server.get(`/api/v1/regions/${code}`)).dpt;
    await openEntry(page, server.url, { token: witness, tps: code, contest: 'wal-62.71' });
    const body = goodForm(code, 'wal-62.71', dpt, { 1: 3, 2: 2 });
    body.valid += 2;
    await fillForm(page, body);
    await page.locator('#f-invalid').fill('');
    await shoot(page, 'saksi', viewport.width);
    // The same witness with two pages of the plano taken, before sending.
    await page.locator('#f-invalid').fill(String(body.invalid));
    await page.locator('#cam-input').setInputFiles(pages.map((p, k) => ({ name: `hal${k + 1}.jpg`, mimeType: 'image/jpeg', buffer: p.jpeg })));
    await until(async () => (await page.locator('li.photo-page').count()) === 2, { what: 'two pages in the list' });
    await page.locator('section.camera-card').scrollIntoViewIfNeeded();
    await shoot(page, 'saksi-foto', viewport.width, { full: false });

    await page.goto(`${server.url}/review`);
    await page.locator('#token-reviewer').fill(reviewer);
    await page.getByRole('button', { name: 'Simpan token' }).click();
    await page.locator('table.review-table').waitFor();
    await page.locator('table.review-table tr[data-form]').filter({ hasText: 'Sengketa' }).getByRole('button', { name: 'Periksa' }).click();
    await page.locator('#detail table.form-table').waitFor();
    await until(async () => (await page.locator('.rv-photos .photo-thumb img').count()) === 2, { what: 'both forms\' photos' });
    await page.locator('#rv-reason').fill('Sesuai foto C.Hasil.');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shoot(page, 'review', viewport.width);

    await page.locator('#search').fill('kumai');
    await page.locator('#search-list [role=option]').first().waitFor();
    await shoot(page, 'search', viewport.width, { full: false });
    await browser.close();
  }
  // The big screen of a provincial desk, as it hangs on the wall.
  const tv = await launch({ viewport: TV });
  const page = await tv.page();
  await page.goto(`${server.url}/c/gub-62/62/?tv=1`);
  await page.locator('li.ov-card').first().waitFor();
  await until(async () => /terhubung/.test(await page.locator('#live-state').textContent()), { what: 'live' });
  await page.waitForTimeout(1500);
  await shoot(page, 'dashboard', TV.width, { full: false });
  await tv.close();
} finally {
  const code = await server.stop();
  db.drop();
  if (code !== 0) { console.error(`suara serve exited with ${code}`); process.exitCode = 1; }
}
