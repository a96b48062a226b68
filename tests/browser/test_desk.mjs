// The monitoring desk (Pemantauan) in a real browser: per kabupaten/kota the
// worklist counters link to their worklists, whose TPS link to their pages;
// the counters move live; the night's chart is drawn from the timeline; the
// KPU recap shows beside the witnesses; the big screen and the printed recap
// (one region per page); no sideways scrolling on a 360 px phone.
// Run: node --test tests/browser/test_desk.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { goodForm, until, suara, SOURCE_DIR, idInt } from './lib/suara.mjs';
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
  const kpuRow = page.locator('table.kpu-table tr[data-region="62.01"]');
  assert.match(await kpuRow.textContent(), /Rekap KPU \(D\.Hasil\)/);
  assert.match(await kpuRow.locator('td[data-cand="1"]').textContent(), /^0 \/ 9\.824 \(-9\.824\)$/);
  assert.match(await page.locator(`table.kpu-table tr[data-region="${KAB}"]`).textContent(), /belum ada data KPU/);
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

  await page.emulateMedia({ media: 'print' });
  const pages = page.locator('.recap-page');
  assert.equal(await pages.count(), 15, 'the province and its 14 kabupaten/kota');
  assert.equal(await page.locator('table.counters').isVisible(), false);
  const breaks = await pages.evaluateAll((els) => els.map((e) => getComputedStyle(e).breakAfter));
  assert.deepEqual([...new Set(breaks)], ['page']);
  assert.match(await pages.nth(0).textContent(), /Kepala log pukul .*: formulir #\d+, /);
  await page.emulateMedia({ media: 'screen' });

  const phone = await browser.page();
  await phone.setViewportSize({ width: 360, height: 780 });
  await phone.goto(`${server.url}/pemantauan/gub-62/?tv=0`);
  await phone.locator(`table.counters tr[data-region="${KAB}"]`).waitFor();
  await shot(phone, 'desk-phone');
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `the page is ${wide}px wide on a 360 px phone`);
  assert.deepEqual([...page.errors, ...phone.errors], []);
});
