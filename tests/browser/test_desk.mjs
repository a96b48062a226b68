// The monitoring desk (Pemantauan) in a real browser: per kabupaten/kota the
// worklist counters link to their worklists, whose TPS link to their pages;
// the counters move live; the night's chart is drawn from the timeline; the
// KPU recap shows beside the witnesses; the big screen and the printed recap
// (one region per page); no sideways scrolling on a 360 px phone.
// Run: node --test tests/browser/test_desk.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { goodForm, until, suara, SOURCE_DIR, idInt, scratch } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';

const stack = new Stack();
const SHOTS = process.env.SUARA_DESK_SHOTS; // a folder: screenshots for the docs
const shot = (page, name) => SHOTS && page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
let server, browser, db, w1, w2;
const KAB = '62.02';
const TPS = ['62.02.01.1009.001', '62.02.01.1009.002', '62.02.01.1009.003', '62.02.01.1009.004'];
const SHARES = { 1: 1, 2: 2, 3: 3, 4: 1 };
const RECAP = path.join(SOURCE_DIR, 'schema', 'seed', 'kalteng-2024', 'kalteng_pilgub2024_hasil_partial.csv');

async function post(body, token) {
  const r = await server.request('POST', '/api/v1/forms', body, token);
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

async function form(tps, opts) {
  return goodForm(tps, 'gub-62', (await server.get(`/api/v1/regions/${tps}`)).dpt, SHARES, opts);
}

before(async () => {
  ({ server, browser, db, tokens: { w1, w2 } } = await stack.start('desk', {
    tokens: { w1: ['witness', '62', 'saksi 1'], w2: ['witness', '62', 'saksi 2'] },
    serveArgs: ['--snapshot-s', '1'], viewport: { width: 1920, height: 1080 } }));
  await post(await form(TPS[0]), w1);
  const held = await form(TPS[1]);
  held.valid -= 3;
  assert.equal((await post(held, w1)).status, 'held');
  const first = await form(TPS[2]);
  await post(first, w1);
  const other = structuredClone(first);
  other.submission_id = crypto.randomUUID();
  other.votes[1] += 2;
  other.votes[2] -= 2;
  assert.equal((await post(other, w2)).status, 'disputed');
});

after(() => stack.stop());

const cell = (page, region, key) => page.locator(`table.counters tr[data-region="${region}"] [data-status="${key}"]`);

test('counters per kabupaten/kota link to worklists and move live', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/pemantauan`);
  const row = page.locator(`table.counters tr[data-region="${KAB}"]`);
  await row.waitFor();
  const node = (await server.get('/api/v1/tally/gub-62/62')).children.find((c) => c.region === KAB);
  assert.equal(await cell(page, KAB, 'held').textContent(), '1');
  assert.equal(await cell(page, KAB, 'disputed').textContent(), '1');
  assert.equal(await cell(page, KAB, 'unconfirmed').textContent(), '2');
  assert.equal(await cell(page, KAB, 'missing').textContent(), idInt(node.tps.total - 2));
  assert.equal(await row.locator('td').first().textContent(), `2 / ${idInt(node.tps.total)}`);

  await page.evaluate(() => { window.stayed = true; });
  await post(await form(TPS[3]), w1);
  await until(async () => (await row.locator('td').first().textContent()) === `3 / ${idInt(node.tps.total)}`,
    { what: 'the counted cell to follow the live feed' });
  assert.equal(await cell(page, KAB, 'unconfirmed').textContent(), '3');
  assert.equal(await page.evaluate(() => window.stayed), true, 'updated in place, not reloaded');

  await cell(page, KAB, 'held').click();
  await page.locator('table.worklist-table tbody tr').first().waitFor();
  assert.equal(new URL(page.url()).pathname, `/pemantauan/gub-62/${KAB}/held/`);
  const listed = await page.locator('table.worklist-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.tps));
  assert.deepEqual(listed, [TPS[1]]);
  assert.match(await page.locator('.worklist .wl-count').textContent(), /^1 TPS/);
  await shot(page, 'desk-worklist');
  await page.locator(`tr[data-tps="${TPS[1]}"] a`).click();
  await until(async () => new URL(page.url()).pathname === `/tps/${TPS[1]}/`, { what: 'the TPS page' });
  assert.deepEqual(page.errors, []);
});

test('the chart comes from the timeline and the KPU recap sits beside the witnesses', async () => {
  suara('import', 'kpu', '--db', db.conninfo, RECAP);
  await until(async () => (await server.get('/api/v1/tally/gub-62/62.01')).kpu_recap !== undefined,
    { what: 'the server to load the recap' });
  await until(async () => (await server.get('/api/v1/timeline/gub-62/62')).points.length > 0,
    { what: 'a timeline point' });
  const page = await browser.page();
  await page.goto(`${server.url}/pemantauan/gub-62/`);
  await page.locator('figure.desk-chart polyline.line-tps').waitFor({ state: 'attached' });
  assert.equal(await page.locator('figure.desk-chart circle.last').isVisible(), true);
  await shot(page, 'desk-desktop');
  assert.equal(await page.locator('figure.desk-chart polyline.line-cand').count(), 4);
  // 62.01 has a recap but no TPS of the witnesses yet: the gap is what is
  // still to come, not a disagreement, so nothing is painted as differing
  const kpuRow = page.locator('table.kpu-table tr[data-region="62.01"]');
  assert.match(await kpuRow.textContent(), /Rekap KPU \(D\.Hasil\) · saksi 0 dari 413 TPS, belum dibandingkan/);
  assert.equal(await kpuRow.locator('td[data-cand="1"]').textContent(), '0 / 9.824');
  assert.equal(await kpuRow.locator('td.differs').count(), 0);
  assert.match(await page.locator(`table.kpu-table tr[data-region="${KAB}"]`).textContent(), /belum ada data KPU/);
  assert.deepEqual(page.errors, []);

  // a regent's recap lies on the contest's root: the table's first row
  const bup = (await server.get('/api/v1/contests')).find((c) => c.id === `bup-${KAB}`);
  const csv = path.join(fs.mkdtempSync(path.join(scratch, 'recap-')), 'bup.csv');
  fs.writeFileSync(csv, ['region_code,region_name,nomor_urut,votes',
    ...bup.candidates.map((c) => `${KAB},Kotawaringin Timur,${c.number},${1000 + c.number}`)].join('\n') + '\n');
  suara('import', 'kpu', '--db', db.conninfo, '--contest', bup.id, csv);
  await until(async () => (await server.get(`/api/v1/tally/${bup.id}/${KAB}`)).kpu_recap !== undefined,
    { what: "the server to load the regent's recap" });
  await page.goto(`${server.url}/pemantauan/${bup.id}/`);
  const root = page.locator(`table.kpu-table tr.total[data-region="${KAB}"]`);
  await root.waitFor();
  assert.equal(await root.locator('td[data-cand="1"]').textContent(), '0 / 1.001');
  assert.match(await root.textContent(), /Rekap KPU \(D\.Hasil\) · saksi 0 dari 667 TPS, belum dibandingkan/);
  assert.deepEqual(page.errors, []);
});

// A Sirekap folder for these forms, KPU's figure of pair 1 at the first TPS
// off by `off`: the candidate list and one file per TPS, named by its digits.
function sirekapFiles(forms, off) {
  const dir = fs.mkdtempSync(path.join(scratch, 'sirekap-'));
  const ids = { 1: '100441', 2: '100442', 3: '100443', 4: '100444' };
  const paslon = path.join(dir, 'pkwkp_paslon.json');
  fs.writeFileSync(paslon, JSON.stringify(Object.fromEntries(Object.entries(ids).map(([n, id]) => [id, { nomor_urut: Number(n), nama: `Paslon ${n}` }]))));
  return [paslon, ...forms.map((f, i) => {
    const votes = { ...f.votes, 1: f.votes[1] + (i === 0 ? off : 0) };
    const valid = Object.values(votes).reduce((a, b) => a + b, 0);
    const file = path.join(dir, `${f.tps.replaceAll('.', '')}.json`);
    fs.writeFileSync(file, JSON.stringify({
      chart: Object.fromEntries(Object.entries(votes).map(([n, v]) => [ids[n], v])), images: [],
      administrasi: { suara_sah: valid, suara_tidak_sah: f.invalid, suara_total: valid + f.invalid },
      ts: '2024-11-27 19:04:11', status_suara: true, status_adm: true }));
    return file;
  })];
}

test('where both sources are complete, a difference is shown and its TPS listed', async () => {
  const kec = '62.02.01';
  const desas = (await server.get(`/api/v1/regions/${kec}`)).children.map((c) => c.code).filter((c) => c !== TPS[0].slice(0, 13));
  const sizes = await Promise.all(desas.map(async (d) => [d, (await server.get(`/api/v1/regions/${d}`)).tps_count]));
  const [desa] = sizes.sort((a, b) => a[1] - b[1])[0];
  const codes = (await server.get(`/api/v1/regions/${desa}`)).children.map((c) => c.code);
  const forms = [];
  for (const tps of codes) {
    const f = await form(tps);
    await post(f, w1);
    forms.push(f);
  }
  suara('import', 'kpu', '--db', db.conninfo, ...sirekapFiles(forms, 5));
  await until(async () => (await server.get(`/api/v1/tally/gub-62/${desa}`)).tps.kpu_differs === 1,
    { what: 'the server to load the Sirekap figures' });
  const page = await browser.page();
  await page.goto(`${server.url}/pemantauan/gub-62/?r=${kec}`);
  const row = page.locator(`table.kpu-table tr[data-region="${desa}"]`);
  await row.waitFor();
  const mine = forms.reduce((sum, f) => sum + f.votes[1], 0);
  assert.equal(await row.locator('td[data-cand="1"]').textContent(), `${idInt(mine)} / ${idInt(mine + 5)} (-5)`);
  assert.equal(await row.locator('td.differs').count(), 1);
  assert.equal(await row.locator('td[data-cand="2"]').textContent(), idInt(forms.reduce((sum, f) => sum + f.votes[2], 0)) + ' / ' + idInt(forms.reduce((sum, f) => sum + f.votes[2], 0)));
  await row.locator('a[data-status="kpu_differs"]').click();
  await page.locator('table.worklist-table tbody tr').first().waitFor();
  assert.equal(new URL(page.url()).pathname, `/pemantauan/gub-62/${desa}/kpu_differs/`);
  const listed = await page.locator('table.worklist-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.tps));
  assert.deepEqual(listed, [codes[0]]);
  assert.match(await page.locator('table.worklist-table tbody td').last().textContent(), /WIB \(baru saja\)$/);
  assert.deepEqual(page.errors, []);
});

test('big screen, printed recap and a phone', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/pemantauan/gub-62/?tv=1`);
  await page.locator(`table.counters tr[data-region="${KAB}"]`).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('tv')), true);
  await shot(page, 'desk-tv');
  const size = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.desk-table td')).fontSize));
  assert.ok(size >= 20, `table text is ${size}px on the big screen`);
  const table = await page.locator('table.counters').boundingBox();
  assert.ok(table.y + table.height <= 1080, 'the counters table fits the first screen');
  // the wall follows the count live too
  const counted = cell(page, KAB, 'unconfirmed');
  const before = Number(await counted.textContent());
  await post(await form('62.02.01.1009.005'), w1);
  await until(async () => Number(await counted.textContent()) === before + 1,
    { what: 'the big screen to follow the live feed' });
  assert.match(await page.locator('.desk-summary [data-k="need"]').textContent(), /^1 ditahan · 1 sengketa$/);

  // what the browser does before it prints: the recap is drawn from the live counts
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  await page.emulateMedia({ media: 'print' });
  const pages = page.locator('.recap-page');
  assert.equal(await pages.count(), 15, 'the province and its 14 kabupaten/kota');
  assert.equal(await page.locator('table.counters').isVisible(), false);
  const breaks = await pages.evaluateAll((els) => els.map((e) => getComputedStyle(e).breakAfter));
  assert.deepEqual([...new Set(breaks)], ['page']);
  const province = await server.get('/api/v1/tally/gub-62/62');
  const recap = pages.nth(0);
  assert.equal(await recap.locator('th:text-is("TPS masuk") + td').textContent(),
    `${idInt(province.tps.counted)} dari ${idInt(province.tps.total)}`);
  assert.equal(await recap.locator('th:text-is("Suara sah") + td').textContent(), idInt(province.valid));
  assert.match(await recap.textContent(), /Kepala log pukul .*: formulir #\d+, [0-9a-f]{64} · dicetak /);
  await page.emulateMedia({ media: 'screen' });

  const phone = await browser.page();
  await phone.setViewportSize({ width: 360, height: 780 });
  await phone.goto(`${server.url}/pemantauan/gub-62/?tv=0`);
  await phone.locator(`table.counters tr[data-region="${KAB}"]`).waitFor();
  await shot(phone, 'desk-phone');
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `the page is ${wide}px wide on a 360 px phone`);
  await phone.goto(`${server.url}/pemantauan/gub-62/${KAB}/held/`);
  await phone.locator('table.worklist-table tbody tr').first().waitFor();
  const listWide = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(listWide <= 360, `the worklist is ${listWide}px wide on a 360 px phone`);
  assert.deepEqual([...page.errors, ...phone.errors], []);
});
