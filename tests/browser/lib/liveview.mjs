// What the live-feed browser tests share: TPS to count forms for, the page's
// WebSockets as it opens them, and whether the page shows the province's
// tally as the HTTP API gives it.

import { idInt } from './suara.mjs';

// The first n TPS under a region, each with its DPT.
export async function someTps(server, code, n) {
  const out = [];
  async function walk(c) {
    const r = await server.get(`/api/v1/regions/${c}`);
    if (r.level === 'tps') { out.push({ code: r.code, dpt: r.dpt }); return; }
    for (const child of r.children) {
      if (out.length >= n) return;
      await walk(child.code);
    }
  }
  await walk(code);
  return out;
}

// Every WebSocket the page opens from now on: [{ url, frames received }].
export function watchSockets(page) {
  const sockets = [];
  page.on('websocket', (ws) => {
    const s = { url: ws.url(), frames: 0 };
    ws.on('framereceived', () => { s.frames += 1; });
    sockets.push(s);
  });
  return sockets;
}

// A check for until(): the province page of gub-62 shows pair 3's votes and
// the TPS counted of one kabupaten/kota row as GET /api/v1/tally gives them.
export function showsProvinceTally(server, page, region) {
  const votes = page.locator('li.cand[data-cand="3"] .votes');
  const row = page.locator(`tr[data-region="${region}"] td`).first();
  return async () => {
    const http = await server.get('/api/v1/tally/gub-62/62');
    const child = http.children.find((c) => c.region === region);
    return (await votes.textContent()) === idInt(http.votes[3]) &&
      (await row.textContent()).trim().startsWith(`${child.tps.counted}/`);
  };
}
