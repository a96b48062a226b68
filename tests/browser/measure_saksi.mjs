// Measures /saksi on a weak phone network, as docs/web-client.md reports:
// Chromium's own throttling (CDP) at 400 kbit/s both ways, 800 ms latency,
// CPU slowed 4x. A first visit (empty profile, a one-TPS token already
// saved: the page is usable once the form's TPS and contests are shown) and
// a later visit (the service worker holds the shell). Not a ctest test
// (times depend on the machine); run by hand after a build:
//   SUARA_TEST_PG=... node tests/browser/measure_saksi.mjs
import { Stack } from './lib/stack.mjs';
import { PHONE } from './lib/browser.mjs';

const TPS = '62.71.01.1001.001';
const stack = new Stack();
const { server, browser, tokens } = await stack.start('measure', { tokens: { tps: ['witness', TPS, 'Saksi'] }, viewport: PHONE });

async function visit(page, label) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 800, downloadThroughput: 400000 / 8, uploadThroughput: 400000 / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });
  const t0 = Date.now();
  await page.goto(`${server.url}/saksi`);
  await page.locator('input[name=contest]').first().waitFor({ timeout: 60000 });
  const ms = Date.now() - t0;
  await cdp.detach();
  console.log(`${label}: usable after ${ms} ms, ${requests} requests, ${bytes} bytes over the network`);
}

try {
  // The token is there before the first page runs (nothing else is).
  await browser.context.addInitScript((t) => { if (!localStorage.getItem('suara.token.witness')) localStorage.setItem('suara.token.witness', t); }, tokens.tps);
  const page = await browser.page();
  await visit(page, 'first visit');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await new Promise((r) => setTimeout(r, 3000)); // the worker takes control and warms its data
  await visit(page, 'later visit');
} finally {
  await stack.stop();
}
