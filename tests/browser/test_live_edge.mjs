// The dashboard reads the live feed from a real nginx + nchan edge when the
// server says so (`suara serve --live-url`, GET /api/v1/status): the page's
// only WebSockets go to the edge, forms counted while it is open reach the
// page through them (the province's votes and a kabupaten row equal to the
// HTTP tally), and when the edge dies and comes back the page reconnects to it
// and follows again.
// Run: node --test tests/browser/test_live_edge.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { goodForm, until } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { someTps, watchSockets, showsProvinceTally } from './lib/liveview.mjs';
import { Edge } from './lib/edge.mjs';

const stack = new Stack();
let edge, server, browser, witness;
const KAPUAS = '62.03';

async function submit(t) {
  const r = await server.request('POST', '/api/v1/forms', goodForm(t.code, 'gub-62', t.dpt, { 1: 1, 2: 2, 3: 5, 4: 1 }), witness);
  assert.equal(r.status, 201, JSON.stringify(r.data));
}

before(async () => {
  edge = await Edge.start();
  ({ server, browser, tokens: { witness } } = await stack.start('edgelive', {
    tokens: { witness: ['witness', '62'] },
    serveArgs: ['--publish-url', edge.publishUrl, '--live-url', edge.liveUrl],
  }));
});

after(async () => {
  await stack.stop();
  await edge?.stop();
});

test('the dashboard follows the tallies through the nchan edge, also after the edge restarts', async () => {
  assert.equal((await server.get('/api/v1/status')).live_url, edge.liveUrl);
  const tpsList = await someTps(server, KAPUAS, 6);
  const page = await browser.page();
  const sockets = watchSockets(page);
  await page.goto(`${server.url}/c/gub-62/62/`);
  const state = () => page.locator('#live-state').getAttribute('data-state');
  await until(async () => (await state()) === 'open', { what: 'the live state to be open' });

  const showsTally = showsProvinceTally(server, page, KAPUAS);
  for (const t of tpsList.slice(0, 3)) await submit(t);
  await until(showsTally, { what: 'the page to show the three forms' });
  const province = `ws://127.0.0.1:${edge.port}/live/gub-62/62`;
  assert.deepEqual(sockets.filter((s) => !s.url.startsWith(`ws://127.0.0.1:${edge.port}/live/`)), [],
    'every WebSocket of the page goes to the edge');
  assert.ok(sockets.some((s) => s.url === province && s.frames > 0), 'the province arrived over the edge');

  // The edge dies: the page says so; back, the page reconnects there and follows.
  await edge.kill();
  await until(async () => (await state()) !== 'open', { what: 'the page to notice the edge is gone' });
  const before = sockets.length;
  await edge.restart();
  await until(async () => (await state()) === 'open', { timeout: 30000, what: 'the page to reconnect to the edge' });
  for (const t of tpsList.slice(3)) await submit(t);
  await until(showsTally, { timeout: 20000, what: 'the page to show the forms sent after the restart' });
  const again = sockets.slice(before);
  assert.ok(again.some((s) => s.url === province && s.frames > 0), 'the new socket to the edge brought the province');
  assert.equal(again.filter((s) => !s.url.startsWith(`ws://127.0.0.1:${edge.port}/live/`)).length, 0);
});
