// The witnesses' cards from the admin side (/admin/kartu): an admin picks a
// kecamatan, the page asks once more, then shows one card per TPS with the
// QR code of the link that carries the TPS's new token; printed, the page
// shows the cards alone, two to a row; and a card's link opens the witness
// page with that TPS (the token works). A card made again for one TPS
// replaces the old one, as the page says before and after, and the phone
// holding the old card is told so.
// Run: node --test tests/browser/test_cards.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { until } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';

const KAB = '62.71'; // Kota Palangka Raya
const stack = new Stack();
let server, browser, tokens;

before(async () => {
  ({ server, browser, tokens } = await stack.start('cards', { tokens: { admin: ['admin', '62', 'admin kartu'] } }));
});

after(() => stack.stop());

test('an admin prints a card per TPS of a kecamatan, and a card\'s link makes its phone that TPS\'s witness', async () => {
  const kota = await server.get(`/api/v1/regions/${KAB}`);
  const kec = await server.get(`/api/v1/regions/${kota.children[0].code}`);
  const page = await browser.page();
  await page.goto(`${server.url}/admin`);
  await page.getByRole('link', { name: /Kartu saksi per TPS/ }).click();
  await until(() => new URL(page.url()).pathname === '/admin/kartu', { what: 'the cards page from the admin page' });
  await page.locator('#token-admin').fill(tokens.admin);
  await page.getByRole('button', { name: 'Simpan token' }).click();
  await until(async () => (await page.locator('#cards-kab option').count()) > 1, { what: 'the kabupaten list' });
  await page.locator('#cards-kab').selectOption(KAB);
  await until(async () => !(await page.locator('#cards-kec').isDisabled()), { what: 'the kecamatan list' });
  await page.locator('#cards-kec').selectOption(kec.code);
  await page.getByRole('button', { name: 'Buat kartu' }).click();
  // Tokens are made only on the second press, which names how many.
  await page.getByRole('button', { name: `Ya, buat ${kec.tps_count} token baru` }).click();
  const cards = page.locator('article.witness-card');
  await until(async () => (await cards.count()) === kec.tps_count, { what: `${kec.tps_count} cards` });
  const first = cards.first();
  const code = await first.getAttribute('data-tps');
  assert.match(code, new RegExp(`^${kec.code.replace(/\./g, '\\.')}\\.\\d{4}\\.\\d{3}$`));
  assert.equal(await first.locator('svg.qr[role=img]').count(), 1);
  assert.ok((await first.locator('svg.qr path').getAttribute('d')).length > 500, 'the code has modules');
  const link = await first.locator('.wc-link code').textContent();
  assert.match(link, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/saksi#t=sk_[A-Za-z0-9_-]{43}$`));
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k !== 'suara.token.admin').length), 0,
    'no card token kept in the browser');

  // On paper: the cards alone, two to a row.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.top').isVisible(), false);
  assert.equal(await page.locator('.cards-maker').isVisible(), false);
  const boxes = await cards.evaluateAll((els) => els.slice(0, 2).map((e) => e.getBoundingClientRect().top));
  assert.equal(boxes[0], boxes[1], 'two cards side by side');
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(page.errors, []);

  // The card's link, opened on a witness's phone.
  const phone = await browser.page();
  await phone.goto(link);
  await phone.locator('[data-k=whoami]').waitFor();
  assert.equal(await phone.locator('[data-k=whoami] [data-k=scope]').textContent(), `TPS ${code.slice(-3)} (${code})`);
  assert.deepEqual(phone.errors, []);

  // The first TPS's card lost: a card printed again for that TPS alone
  // replaces it, as the page says before the token is made, and after.
  const desaCode = code.split('.').slice(0, 4).join('.');
  await until(async () => !(await page.locator('#cards-desa').isDisabled()), { what: 'the desa list' });
  await page.locator('#cards-desa').selectOption(desaCode);
  await until(async () => !(await page.locator('#cards-tps').isDisabled()), { what: 'the TPS list' });
  await page.locator('#cards-tps').selectOption(code);
  await page.getByRole('button', { name: 'Buat kartu' }).click();
  await until(async () => /Kartu baru menggantikan kartu lama/.test(await page.locator('#cards-msg').textContent()), { what: 'the warning before the new card' });
  await page.getByRole('button', { name: 'Ya, buat 1 token baru' }).click();
  await until(async () => (await page.locator('#cards-msg').textContent()).includes('1 kartu lama dicabut, tidak berlaku lagi: Saksi TPS'), { what: 'the revoked card named' });
  assert.equal(await cards.count(), 1);
  assert.equal(await cards.first().getAttribute('data-tps'), code);

  // The phone with the old card is told at its next visit.
  await phone.goto(`${server.url}/saksi`);
  await phone.locator('[data-k=token-refused]').waitFor();
  assert.deepEqual(phone.errors, []);

  // Another kecamatan chosen while a desa and a TPS of the first are: until
  // its desa list has come (held back here, as on a slow network), the
  // button is for the new kecamatan, not for the TPS still chosen below it
  // (the levels below were emptied only once the list had come, and the
  // button meanwhile made that TPS's card again, revoking the new one).
  const kec2 = await server.get(`/api/v1/regions/${kota.children[1].code}`);
  await page.evaluate((held) => {
    const real = window.fetch;
    let release;
    const open = new Promise((resolve) => { release = resolve; });
    window.releaseList = () => { window.fetch = real; release(); };
    window.fetch = (url, opts) => (String(url) === held ? open.then(() => real(url, opts)) : real(url, opts));
  }, `/api/v1/regions/${kec2.code}`);
  await page.locator('#cards-kec').selectOption(kec2.code);
  await page.getByRole('button', { name: 'Buat kartu' }).click();
  await page.evaluate(() => window.releaseList());
  await page.getByRole('button', { name: `Ya, buat ${kec2.tps_count} token baru` }).waitFor();
  assert.match(await page.locator('#cards-msg').textContent(), new RegExp(`^Satu token saksi baru untuk setiap TPS di ${kec2.name}\\.`));
  assert.deepEqual(page.errors, []);
});

test('on a 360 px phone the cards page shows each list under its label, nothing wider than the screen', async () => {
  const kota = await server.get(`/api/v1/regions/${KAB}`);
  const page = await browser.page();
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto(`${server.url}/admin/kartu`);
  await until(async () => (await page.locator('#cards-kab option').count()) > 1, { what: 'the kabupaten list' });
  await page.locator('#cards-kab').selectOption(KAB);
  await until(async () => !(await page.locator('#cards-kec').isDisabled()), { what: 'the kecamatan list' });
  await page.locator('#cards-kec').selectOption(kota.children[0].code);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `the page is ${wide}px wide on a 360 px phone`);
  // The longest label would leave its list no room beside it.
  const label = await page.locator('label[for="cards-tps"]').boundingBox();
  const list = await page.locator('#cards-tps').boundingBox();
  assert.ok(list.y >= label.y + label.height, `the TPS list (y ${list.y}) is under its label (bottom ${label.y + label.height})`);
  assert.ok(list.width >= 300, `the TPS list is ${list.width}px wide`);
  assert.deepEqual(page.errors, []);
});
