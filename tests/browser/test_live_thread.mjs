// The dashboard reads the server's own live feed from its live thread when the
// server says so (`suara serve --live-listen`, GET /api/v1/status: live_port):
// the page's only WebSocket goes to that port of the page's host, and forms
// counted on the main port while the page is open reach it there (the
// province's votes and a kabupaten row equal to the HTTP tally).
// Run: node --test tests/browser/test_live_thread.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until, freePort } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { someTps, watchSockets, showsProvinceTally } from './lib/liveview.mjs';

const stack = new Stack();
let server, browser, witness, livePort;
const KAPUAS = '62.03';

before(async () => {
  livePort = await freePort();
  ({ server, browser, tokens: { witness } } = await stack.start('threadlive', {
    tokens: { witness: ['witness', '62'] },
    serveArgs: ['--live-listen', `127.0.0.1:${livePort}`],
  }));
});

after(async () => {
  await stack.stop();
});

test('the dashboard follows the tallies through the live thread\'s port', async () => {
  assert.equal((await server.get('/api/v1/status')).live_port, livePort);
  const tpsList = await someTps(server, KAPUAS, 3);
  const page = await browser.page();
  const sockets = watchSockets(page);
  await page.goto(`${server.url}/c/gub-62/62/`);
  const state = () => page.locator('#live-state').getAttribute('data-state');
  await until(async () => (await state()) === 'open', { what: 'the live state to be open' });

  const showsTally = showsProvinceTally(server, page, KAPUAS);
  for (const t of tpsList) {
    const r = await server.request('POST', '/api/v1/forms', goodForm(t.code, 'gub-62', t.dpt, { 1: 1, 2: 2, 3: 5, 4: 1 }), witness);
    assert.equal(r.status, 201, JSON.stringify(r.data));
  }
  await until(showsTally, { what: 'the page to show the three forms' });
  const feed = `ws://127.0.0.1:${livePort}/api/v1/live`;
  assert.deepEqual(sockets.map((s) => s.url), [feed], 'the page\'s one WebSocket goes to the live port');
  assert.ok(sockets[0].frames > 0, 'the tallies arrived over it');
});
