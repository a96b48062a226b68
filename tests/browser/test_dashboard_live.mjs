// The dashboard on election night: ten seconds of live updates leave focus,
// scroll and the DOM nodes where they were, repaints stay at two a second,
// the live region stays quiet; the contest picker waits for its button; the
// top strip reads right; the connection state follows the browser's offline
// event; children sort by a click; the big screen shows every column at
// 1920x1080 with the overview and the tile map coloured by leader.
// Run: node --test tests/browser/test_dashboard_live.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until, idInt } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { someTps } from './lib/liveview.mjs';

const stack = new Stack();
let server, browser, witness;
const KAPUAS = '62.03';
const pct1 = (a, b) => `${new Intl.NumberFormat('id-ID', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format((100 * a) / b)}%`;

async function submit(body) {
  const r = await server.request('POST', '/api/v1/forms', body, witness);
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

before(async () => {
  ({ server, browser, tokens: { witness } } = await stack.start('dashlive', { tokens: { witness: ['witness', '62'] } }));
});

after(() => stack.stop());

test('ten seconds of live updates keep focus, scroll and DOM nodes; repaints and announcements stay few', async () => {
  const tpsList = await someTps(server, KAPUAS, 40);
  const page = await browser.page();
  await page.setViewportSize({ width: 1366, height: 500 });
  await page.goto(`${server.url}/c/gub-62/62/`);
  await until(async () => (await page.locator('#live-state').getAttribute('data-state')) === 'open', { what: 'connected' });
  const link = page.locator(`tr[data-region="${KAPUAS}"] th a`);
  await link.focus();
  await page.evaluate(() => {
    window.scrollTo(0, 150);
    window.__kept = {
      link: document.activeElement,
      row: document.querySelector('tr[data-region="62.03"]'),
      votes: document.querySelector('li.cand[data-cand="3"] .votes'),
      strip: document.querySelector('[data-k=masuk-pct]'),
      table: document.querySelector('table.tally'),
    };
    window.__spoken = 0;
    const live = [...document.querySelectorAll('[role=status], [aria-live]')];
    const obs = new MutationObserver((records) => { window.__spoken += records.length; });
    live.forEach((el) => obs.observe(el, { childList: true, characterData: true, subtree: true }));
    window.__paints0 = Number(document.querySelector('.dash').dataset.paints);
  });
  const scroll0 = await page.evaluate(() => window.scrollY);
  assert.equal(scroll0, 150);

  // About four forms a second for ten seconds, all in Kapuas, pair 3 ahead.
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < 10000 && sent < tpsList.length) {
    const t = tpsList[sent++];
    await submit(goodForm(t.code, 'gub-62', t.dpt, { 1: 1, 2: 2, 3: 5, 4: 1 }));
    await new Promise((r) => setTimeout(r, 250));
  }
  const elapsed = Date.now() - started;
  assert.ok(sent >= 20, `sent ${sent} forms`);
  const node = await server.get('/api/v1/tally/gub-62/62.03');
  assert.equal(node.tps.counted, sent);
  const row = page.locator(`tr[data-region="${KAPUAS}"]`);
  await until(async () => (await row.locator('td').first().textContent()).trim().startsWith(`${sent}/`), { what: 'the Kapuas row to show every form' });

  const kept = await page.evaluate(() => ({
    focus: document.activeElement === window.__kept.link,
    row: document.querySelector('tr[data-region="62.03"]') === window.__kept.row,
    votes: document.querySelector('li.cand[data-cand="3"] .votes') === window.__kept.votes,
    strip: document.querySelector('[data-k=masuk-pct]') === window.__kept.strip,
    table: document.querySelector('table.tally') === window.__kept.table,
    connected: window.__kept.link.isConnected,
    scroll: window.scrollY,
    spoken: window.__spoken,
    paints: Number(document.querySelector('.dash').dataset.paints) - window.__paints0,
  }));
  assert.deepEqual({ focus: kept.focus, row: kept.row, votes: kept.votes, strip: kept.strip, table: kept.table, connected: kept.connected },
    { focus: true, row: true, votes: true, strip: true, table: true, connected: true }, 'the same nodes, and focus on the Kapuas link');
  assert.equal(kept.scroll, scroll0, 'the page did not scroll by itself');
  // The leader appears once (one announcement); nothing else is said more often than every 20 s.
  assert.ok(kept.spoken <= 2, `the live regions changed ${kept.spoken} times`);
  const paintsAllowed = Math.ceil((Date.now() - started) / 500) + 1;
  assert.ok(kept.paints <= paintsAllowed, `${kept.paints} repaints in ${elapsed} ms (at most ${paintsAllowed})`);
  assert.ok(kept.paints >= 1, 'the page repainted');
  assert.equal(await page.locator('li.cand[data-cand="3"] .votes').textContent(), idInt((await server.get('/api/v1/tally/gub-62/62')).votes[3]));
  assert.match(await page.locator('[data-announce]').textContent(), /Unggul sekarang: nomor 03/);
  assert.deepEqual(page.errors, []);
});

test('the contest picker changes the view only when its button is pressed', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/c/gub-62/62/`);
  await page.locator('li.cand').first().waitFor();
  await page.locator('#contest').focus();
  await page.keyboard.press('ArrowDown');
  const chosen = await page.locator('#contest').inputValue();
  assert.notEqual(chosen, 'gub-62', 'the arrow key moved the choice');
  assert.equal(new URL(page.url()).pathname, '/c/gub-62/62/', 'nothing happened on the arrow key');
  await page.locator('[data-go=contest]').click();
  await page.waitForURL(`**/c/${chosen}/**`);
  assert.deepEqual(page.errors, []);
});

test('the top strip: data masuk, partisipasi of the counted TPS and of the roll, leader and margin, age', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/c/gub-62/${KAPUAS}/`);
  await page.locator('[data-k=masuk-pct]').waitFor();
  const node = await server.get(`/api/v1/tally/gub-62/${KAPUAS}`);
  const region = await server.get(`/api/v1/regions/${KAPUAS}`);
  const dpt = node.dpt ?? region.dpt;
  assert.ok(node.tps.counted > 0);
  const text = (k) => page.locator(`[data-k=${k}]`).textContent();
  assert.equal(await text('masuk-pct'), pct1(node.tps.counted, node.tps.total));
  assert.equal(await text('masuk-of'), `${idInt(node.tps.counted)} dari ${idInt(node.tps.total)} TPS`);
  assert.equal(await text('turnout'), pct1(node.voted, node.registered));
  assert.equal(await text('turnout-roll'), `${pct1(node.voted, dpt)} dari seluruh DPT (${idInt(dpt)})`);
  const ranked = Object.entries(node.votes).sort((a, b) => b[1] - a[1]);
  assert.equal(ranked[0][0], '3');
  assert.match(await text('leader'), /^03 /);
  const margin = ranked[0][1] - ranked[1][1];
  assert.match(await text('margin'), new RegExp(`^selisih ${idInt(margin).replace('.', '\\.')} suara \\(`));
  assert.equal(await text('age'), 'baru saja');
  assert.deepEqual(page.errors, []);
});

test('the connection state follows the offline and online events', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/c/gub-62/62/`);
  const state = page.locator('#live-state');
  await until(async () => (await state.getAttribute('data-state')) === 'open', { what: 'connected' });
  await browser.context.setOffline(true);
  await until(async () => (await state.getAttribute('data-state')) === 'offline', { what: 'offline' });
  assert.match(await state.textContent(), /terputus/);
  await browser.context.setOffline(false);
  await until(async () => (await state.getAttribute('data-state')) === 'open', { timeout: 30000, what: 'connected again' });
  assert.deepEqual(page.errors, []);
});

test('the children sort by a click on a column header, the same rows moving', async () => {
  const page = await browser.page();
  await page.goto(`${server.url}/c/gub-62/62/`);
  await page.locator('tr[data-region="62.01"]').waitFor();
  const first = await page.evaluate(() => document.querySelector('tr[data-region="62.03"]'));
  assert.ok(first);
  await page.evaluate(() => { window.__row = document.querySelector('tr[data-region="62.03"]'); });
  const order = () => page.locator('table.tally tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.region));
  assert.equal((await order())[0], '62.01');
  await page.locator('th[data-col=valid] button').click();
  assert.equal(await page.locator('th[data-col=valid]').getAttribute('aria-sort'), 'descending');
  assert.equal((await order())[0], KAPUAS, 'Kapuas, the only kabupaten with votes, first');
  await page.locator('th[data-col=name] button').click();
  assert.equal(await page.locator('th[data-col=name]').getAttribute('aria-sort'), 'ascending');
  const names = await page.locator('table.tally tbody th a').allTextContents();
  assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, 'id')));
  assert.equal(await page.evaluate(() => document.querySelector('tr[data-region="62.03"]') === window.__row), true);
  assert.deepEqual(page.errors, []);
});

test('the big screen at 1920x1080: every column and kabupaten visible, overview of all contests, tile map by leader', async () => {
  const page = await browser.page();
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${server.url}/c/gub-62/62/?tv=1`);
  await page.locator('li.ov-card').first().waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('tv')), true);
  const contests = (await server.get('/api/v1/contests')).length;
  assert.equal(await page.locator('li.ov-card').count(), contests);
  await until(async () => /unggul 03/.test(await page.locator('li.ov-card[data-contest="gub-62"] .ov-lead').textContent()), { what: 'the overview leader' });
  const fit = await page.evaluate(() => {
    const wrap = document.querySelector('.table-wrap');
    const cols = [...document.querySelectorAll('table.tally thead th')].map((th) => th.getBoundingClientRect());
    const rows = [...document.querySelectorAll('table.tally tbody tr')].map((tr) => tr.getBoundingClientRect());
    return {
      scrolls: wrap.scrollWidth > wrap.clientWidth + 1 ? `${wrap.scrollWidth}>${wrap.clientWidth} ${document.querySelector("table.tally").getBoundingClientRect().width}` : false,
      colsInside: cols.every((r) => r.left >= 0 && r.right <= window.innerWidth),
      rows: rows.length,
      rowsInside: rows.filter((r) => r.bottom <= window.innerHeight).length,
      pageWide: document.documentElement.scrollWidth <= window.innerWidth,
    };
  });
  assert.deepEqual(fit, { scrolls: false, colsInside: true, rows: 14, rowsInside: 14, pageWide: true });
  assert.equal(await page.locator('li[data-tile]').count(), 14);
  assert.match(await page.locator(`li[data-tile="${KAPUAS}"] a`).getAttribute('class'), /\bc3\b/);
  assert.equal(await page.locator(`li[data-tile="${KAPUAS}"] .tile-lead`).textContent(), 'unggul 03');
  assert.equal(await page.locator('li[data-tile="62.01"] .tile-lead').textContent(), 'belum ada suara');
  // The mode stays for the rest of the visit, and ?tv=0 ends it.
  await page.locator(`li[data-tile="${KAPUAS}"] a`).click();
  await page.waitForURL(`**/c/gub-62/${KAPUAS}/`);
  // The URL changes before the new view is drawn, and the old one had its
  // cards too: wait for the new heading, then count the new view's cards.
  await page.locator('h1').filter({ hasText: 'Kapuas' }).waitFor();
  assert.equal(await page.locator('li.ov-card').count(), contests, 'the big screen stays on in the kabupaten');
  await page.goto(`${server.url}/c/gub-62/62/?tv=0`);
  await page.locator('li.cand').first().waitFor();
  assert.equal(await page.locator('li.ov-card').count(), 0);
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('tv')), false);
  assert.deepEqual(page.errors, []);
});

test('search by name from every page: keyboard through the results, the contest kept when it covers the place', async () => {
  const page = await browser.page();
  const box = page.locator('#search');
  const pick = async (q, n) => {
    await box.fill(q);
    await page.locator('#search-list [role=option][data-code]').first().waitFor();
    for (let i = 0; i < n; i++) await box.press('ArrowDown');
    await box.press('Enter');
  };
  await page.goto(`${server.url}/review`);
  await page.locator('.token-card').waitFor();
  await pick('kumai', 1);
  await page.waitForURL('**/c/gub-62/62.01.01/');
  await until(async () => /Kumai/.test(await page.locator('h1').textContent()), { what: 'the Kumai dashboard' });

  await page.goto(`${server.url}/c/bup-62.01/62.01/`);
  await page.locator('li.cand').first().waitFor();
  await box.fill('kumai');
  const first = page.locator('#search-list [role=option]').first();
  await first.waitFor();
  assert.match(await first.textContent(), /^Kumai Kecamatan · Kotawaringin Barat$/);
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  await box.press('ArrowDown');
  assert.equal(await box.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
  await box.press('Enter');
  await page.waitForURL('**/c/bup-62.01/62.01.01/');

  await page.goto(`${server.url}/saksi`);
  await page.locator('#search').waitFor();
  await pick('candi 2', 0); // Enter without a choice: the first result
  await page.waitForURL('**/tps/62.01.01.1011.002/**');
  await page.locator('section[data-contest="gub-62"]').waitFor();
  assert.deepEqual(page.errors, []);
});
