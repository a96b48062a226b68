// The witness app on a phone with no signal: onboarding from a link (the QR
// code of a printed card), a wrong token refused at once, /saksi opening with
// no network in a new tab and after the browser was closed (service worker),
// a form entered offline, the browser closed, reopened online: counted once,
// and followed for another witness's different numbers from the outbox;
// and "versi baru" once the client's files change.
// Run: node --test tests/browser/test_witness_app.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { goodForm, until, scratch, SOURCE_DIR, suara, idInt } from './lib/suara.mjs';
import { launch, newProfile, PHONE } from './lib/browser.mjs';
import { Stack } from './lib/stack.mjs';
import { fillForm, outboxEntries } from './lib/witness.mjs';

const TPS = '62.71.01.1001.001'; // Palangka Raya, TPS 001
const CONTEST = 'wal-62.71';
const stack = new Stack();
// A copy of the client, so that a test can change it as a new release would.
const CLIENT = path.join(scratch, 'client-web');
let server, tokens;

before(async () => {
  fs.cpSync(path.join(SOURCE_DIR, 'client-web'), CLIENT, {
    recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`),
  });
  ({ server, tokens } = await stack.start('witness_app', {
    tokens: { tps: ['witness', TPS, 'Saksi Uji TPS 001'], other: ['witness', TPS, 'Saksi lain TPS 001'] }, serveArgs: ['--static', CLIENT], browser: false,
  }));
});

after(() => stack.stop());

const cached = (page) => page.evaluate(async () => {
  const out = [];
  for (const name of await caches.keys()) {
    for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname);
  }
  return out;
});

// Opens /saksi#t=TOKEN in a new page and waits until the service worker
// controls it and holds what the page needs offline.
async function onboard(browser) {
  const page = await browser.page();
  await page.goto(`${server.url}/saksi#t=${tokens.tps}`);
  await page.locator('[data-k=whoami]').waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await until(async () => {
    const have = await cached(page);
    return have.includes('/api/v1/contests') && have.includes(`/api/v1/regions/${TPS}`) && have.includes('/dist/app.js');
  }, { timeout: 30000, what: 'the service worker to hold the shell, the contests and the TPS' });
  // What the card tells the witness to wait for before going where there is no signal.
  await page.locator('[data-k=offline-ready]').waitFor({ timeout: 30000 });
  return page;
}

test('a link with the token saves it once checked, shows who the witness is, leaves no token in the address or history; a new release is announced ("versi baru") and a reload brings it', async () => {
  const browser = await launch({ viewport: PHONE });
  try {
    const page = await onboard(browser);
    assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address');
    assert.equal(await page.evaluate(() => localStorage.getItem('suara.token.witness')), tokens.tps);
    assert.equal(await page.locator('[data-k=whoami] [data-k=name]').textContent(), 'Saksi Uji TPS 001');
    assert.equal(await page.locator('[data-k=whoami] [data-k=scope]').textContent(), `TPS 001 (${TPS})`);
    assert.match(await page.locator('[data-k=whoami] [data-k=contests]').textContent(), /Wali Kota dan Wakil Wali Kota Palangka Raya/);
    assert.match(await page.locator('p.chosen').textContent(), new RegExp(TPS.replace(/\./g, '\\.')));
    assert.deepEqual(page.errors, []);

    // A new release of the client: the worker notices at the next load.
    const css = path.join(CLIENT, 'css', 'app.css');
    fs.appendFileSync(css, '\n.release-marker { order: 7; }\n');
    fs.rmSync(`${css}.gz`, { force: true }); // as a new build would remake it
    await page.reload();
    const banner = page.locator('#update-banner');
    await banner.waitFor({ timeout: 30000 });
    assert.equal(await banner.locator('span').textContent(), 'Versi baru Suara tersedia.');
    // The button reloads the page: until the new document has loaded, the old
    // one (its banner, its p.chosen) is still the one there.
    const reloaded = page.waitForEvent('load');
    await banner.getByRole('button', { name: 'Muat ulang' }).click();
    await reloaded;
    await page.locator('p.chosen').waitFor();
    const served = await page.evaluate(async () => (await (await fetch('/css/app.css')).text()).includes('.release-marker'));
    assert.equal(served, true, 'the new stylesheet is the one in use');
    assert.equal(await page.locator('#update-banner').count(), 0);

    // The history before this page is the blank tab, not the link.
    await page.goBack();
    assert.equal(page.url(), 'about:blank');
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
});

test('a token with one wrong character is refused at once and not saved', async () => {
  const browser = await launch({ viewport: PHONE });
  try {
    const page = await browser.page();
    await page.goto(`${server.url}/saksi`);
    const wrong = tokens.tps.slice(0, -1) + (tokens.tps.endsWith('A') ? 'B' : 'A');
    await page.locator('#token-witness').fill(wrong);
    await page.getByRole('button', { name: 'Simpan token' }).click();
    const msg = page.locator('#token-witness-msg');
    await until(async () => /tidak dikenal/.test(await msg.textContent()), { what: 'the refusal' });
    assert.equal(await msg.textContent(), 'Token tidak dikenal server. Periksa lagi huruf demi huruf, atau pindai ulang kode QR di kartu.');
    assert.equal(await page.locator('#token-witness').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => localStorage.getItem('suara.token.witness')), null, 'nothing saved');
    assert.equal(await page.locator('.token-card code').count(), 0, 'no "token tersimpan"');
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
});

test('offline, /saksi opens in a new tab and after the browser was closed; a form entered offline is counted once when the phone is back online', async () => {
  const profile = newProfile();
  let browser = await launch({ viewport: PHONE, profile });
  const dpt = (await server.get(`/api/v1/regions/${TPS}`)).dpt;
  const body = goodForm(TPS, CONTEST, dpt, { 1: 3, 2: 2 });
  let id;
  try {
    await onboard(browser);
    await browser.context.setOffline(true);
    const tab = await browser.page();
    await tab.goto(`${server.url}/saksi`);
    await tab.locator('p.chosen').waitFor();
    assert.match(await tab.locator('p.chosen').textContent(), /TPS 001/);
    // With no signal the page still says the phone is ready for it.
    await tab.locator('[data-k=offline-ready]').waitFor();
    assert.deepEqual(tab.errors, []);
  } finally {
    await browser.close();
  }

  // The browser was closed; it starts again with no network at all.
  browser = await launch({ viewport: PHONE, profile });
  try {
    await browser.context.setOffline(true);
    const page = await browser.page();
    await page.goto(`${server.url}/saksi`);
    await page.locator('p.chosen').waitFor();
    await page.locator(`input[name=contest][value="${CONTEST}"]`).check();
    await page.locator('form.entry').waitFor();
    await fillForm(page, body);
    await page.locator('.submit-bar button[type=submit]').click();
    await page.locator('.sent-status .offline-note').waitFor();
    [{ id }] = await outboxEntries(page);
    assert.equal((await outboxEntries(page))[0].attempts, 0);
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
  const tps = await server.get(`/api/v1/tps/${TPS}`);
  assert.equal(tps.contests.find((c) => c.contest === CONTEST).history.length, 0, 'nothing reached the server yet');

  // Reopened with a signal: the waiting form goes out once.
  browser = await launch({ viewport: PHONE, profile });
  try {
    const page = await browser.page();
    await page.goto(`${server.url}/saksi`);
    const item = page.locator(`#kotak-keluar .outbox-item[data-id="${id}"]`);
    await until(async () => (await item.getAttribute('data-state')) === 'sent', { timeout: 45000, what: 'the form to be sent' });
    const history = (await server.get(`/api/v1/tps/${TPS}`)).contests.find((c) => c.contest === CONTEST).history;
    assert.equal(history.length, 1, 'counted once');
    assert.equal(history[0].submission_id, id);
    assert.equal(history[0].status, 'counted');
    const node = await server.get(`/api/v1/tally/${CONTEST}/${TPS}`);
    assert.equal(node.valid, body.valid);

    // Sent from the outbox, not from a submit on this page, the form is
    // still followed: another witness's different numbers show in its entry.
    const other = goodForm(TPS, CONTEST, dpt, { 1: 2, 2: 3 });
    const posted = await server.request('POST', '/api/v1/forms', other, tokens.other);
    assert.equal(posted.status, 201, JSON.stringify(posted.data));
    const alert = item.locator('.dispute-alert[data-state=differs]');
    await alert.waitFor({ timeout: 30000 });
    assert.equal(await alert.locator('tr[data-field="votes.1"] [data-k=theirs]').textContent(), idInt(other.votes[1]));
    await alert.getByRole('button', { name: 'Koreksi formulir saya' }).click();
    assert.equal(await page.locator('#f-votes-1').inputValue(), String(body.votes[1]), 'the correction starts from the witness\'s numbers');
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test('`suara token create --url --qr --card` makes the link, a QR code and a printable card that onboard a witness', async () => {
  const card = path.join(scratch, 'card.html');
  const out = suara('token', 'create', '--db', stack.db.conninfo, '--role', 'witness', '--scope', TPS,
    '--name', 'Saksi <Kartu>', '--url', `${server.url}/`, '--qr', '--card', card).split('\n');
  const [token, link] = out;
  assert.match(token, /^sk_[A-Za-z0-9_-]{43}$/);
  assert.equal(link, `${server.url}/saksi#t=${token}`);
  assert.ok(out.slice(2).filter((l) => l.includes('\u2588')).length >= 10, 'a QR code drawn below the link');
  const html = fs.readFileSync(card, 'utf8');
  assert.match(html, /<h1>Saksi TPS 001 &middot; 62\.71\.01\.1001\.001<\/h1>/);
  assert.match(html, /<p>Pahandut, Pahandut, Kota Palangkaraya<\/p>/);
  assert.match(html, /<strong>Saksi &lt;Kartu&gt;<\/strong>/);
  assert.match(html, /<svg class="qr"[^>]*><rect[^>]*\/><path fill="#000" d="(M\d+ \d+h1v1h-1z)+"\/><\/svg>/);
  const printed = /<code>([^<]+)<\/code>/.exec(html)[1];
  assert.equal(printed, link);
  assert.throws(() => suara('token', 'create', '--db', stack.db.conninfo, '--role', 'witness', '--scope', TPS, '--qr'),
    (e) => e.status === 2 && /--qr and --card need --url BASE/.test(e.stderr));

  // The card's link onboards the witness.
  const browser = await launch({ viewport: PHONE });
  try {
    const page = await browser.page();
    await page.goto(printed);
    await page.locator('[data-k=whoami] [data-k=name]').waitFor();
    assert.equal(await page.locator('[data-k=whoami] [data-k=name]').textContent(), 'Saksi <Kartu>');
    assert.equal(await page.evaluate(() => localStorage.getItem('suara.token.witness')), token);
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
});
