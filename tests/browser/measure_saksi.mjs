// Measures /saksi on a weak phone network, as docs/web-client.md reports:
// Chromium's own throttling (CDP) at 400 kbit/s both ways, 800 ms latency,
// CPU slowed 4x. A first visit (empty profile, a one-TPS token already
// saved: the page is usable once the form's TPS and contests are shown) and
// a later visit (the service worker holds the shell). Not a ctest test
// (times depend on the machine); run by hand after a build:
//   SUARA_TEST_PG=... node tests/browser/measure_saksi.mjs [--runs N] [--beside DIR]
// --beside DIR: another web client (a built client-web/ of another commit,
// docs/benchmarks.md says how) served by the same binary, measured in turn
// with this checkout's in each run, so the two are compared under the same
// load. One line per visit, then the medians.
import { Stack } from './lib/stack.mjs';
import { PHONE } from './lib/browser.mjs';

const TPS = '62.71.01.1001.001';
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', 3));
const clients = [['this checkout', null]];
if (opt('--beside', null)) clients.push([`beside (${opt('--beside')})`, opt('--beside')]);

async function visit(page, server) {
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
  return { ms, requests, bytes };
}

// One client's first and later visit, on a server and browser of its own.
async function measure(dir) {
  const stack = new Stack();
  try {
    const { server, browser, tokens } = await stack.start('measure', {
      tokens: { tps: ['witness', TPS, 'Saksi'] }, viewport: PHONE, serveArgs: dir ? ['--static', dir] : [],
    });
    // The token is there before the first page runs (nothing else is).
    await browser.context.addInitScript((t) => { if (!localStorage.getItem('suara.token.witness')) localStorage.setItem('suara.token.witness', t); }, tokens.tps);
    const page = await browser.page();
    const first = await visit(page, server);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await new Promise((r) => setTimeout(r, 3000)); // the worker takes control and warms its data
    const later = await visit(page, server);
    return { first, later };
  } finally {
    await stack.stop();
  }
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map(clients.map(([label]) => [label, []]));
for (let run = 1; run <= runs; run++) {
  for (const [label, dir] of clients) {
    const r = await measure(dir);
    results.get(label).push(r);
    console.log(`run ${run}, ${label}: first visit usable after ${r.first.ms} ms (${r.first.requests} requests, ${r.first.bytes} bytes over the network); later visit ${r.later.ms} ms (${r.later.requests} requests, ${r.later.bytes} bytes)`);
  }
}
for (const [label, rs] of results) {
  console.log(`median of ${rs.length}, ${label}: first visit ${median(rs.map((r) => r.first.ms))} ms, later visit ${median(rs.map((r) => r.later.ms))} ms`);
}
