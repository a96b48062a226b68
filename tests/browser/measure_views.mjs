// Measures the dashboard and the review desk on a weak network, as
// docs/web-client.md reports: Chromium's own throttling (CDP) at 400 kbit/s
// both ways, 800 ms latency, CPU slowed 4x, a first visit (empty cache) of
// each page, then 10 s of the open page while forms arrive (two a second):
// when it was usable (the pairs shown, the queue listed), requests and bytes,
// and how busy the main thread was. Not a ctest test (times depend on the
// machine); run by hand after a build:
//   SUARA_TEST_PG=... node tests/browser/measure_views.mjs
import { goodForm } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { launch, PHONE, DESKTOP } from './lib/browser.mjs';

const stack = new Stack();
const { server, tokens } = await stack.start('measure_views', {
  browser: false, tokens: { witness: ['witness', '62', 'Saksi'], reviewer: ['reviewer', '62', 'Pemeriksa'] } });
// The TPS of Pahandut (Palangka Raya), one form each.
const tpsList = [];
for (const desa of (await server.get('/api/v1/regions/62.71.01')).children) {
  for (const t of (await server.get(`/api/v1/regions/${desa.code}`)).children) tpsList.push(t.code);
}

let sent = 0;
async function postForm(held = false) {
  const code = tpsList[sent++ % tpsList.length];
  const body = goodForm(code, 'gub-62', (await server.get(`/api/v1/regions/${code}`)).dpt, { 1: 3, 2: 5, 3: 4, 4: 1 });
  if (held) body.valid += 3;
  await server.request('POST', '/api/v1/forms', body, tokens.witness);
}

async function visit(label, url, ready, viewport, role) {
  const browser = await launch({ viewport });
  try {
    if (role) await browser.context.addInitScript(([r, t]) => localStorage.setItem(`suara.token.${r}`, t), [role, tokens[role]]);
    const page = await browser.page();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 800, downloadThroughput: 400000 / 8, uploadThroughput: 400000 / 8 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Performance.enable');
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });
    const t0 = Date.now();
    await page.goto(`${server.url}${url}`);
    await page.locator(ready).first().waitFor({ timeout: 120000 });
    const usable = Date.now() - t0;
    const busy = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
    const before = await busy();
    const started = Date.now();
    const feed = setInterval(() => { postForm(sent % 7 === 0).catch(() => {}); }, 500);
    await page.waitForTimeout(10000);
    clearInterval(feed);
    const share = (await busy() - before) / ((Date.now() - started) / 1000);
    console.log(`${label}: usable after ${usable} ms, ${requests} requests, ${Math.round(bytes / 1024)} kB; `
      + `then main thread busy ${Math.round(share * 100)} % over 10 s of two forms a second; errors ${JSON.stringify(page.errors)}`);
  } finally {
    await browser.close();
  }
}

try {
  for (let i = 0; i < 12; i++) await postForm(i % 4 === 0);
  await visit('dashboard, province, phone', '/', 'li.cand', PHONE);
  await visit('dashboard, kecamatan, phone', '/c/gub-62/62.71.01/', 'table.tally tbody tr', PHONE);
  await visit('review desk, desktop', '/review', 'table.review-table tbody tr', DESKTOP, 'reviewer');
  await visit('monitoring desk, desktop', '/pemantauan', 'table.counters tbody tr', DESKTOP);
} finally {
  await stack.stop();
}
