// The overview of every contest for the big screen: one card per contest
// with its share of TPS counted and the leading pair, kept live by one
// subscription per contest root (15 in Kalimantan Tengah, far below the
// server's subscriptions per connection). Cards are made once and change in
// place; renders are batched like the dashboard's.

import { h } from './dom.js';
import { int, pct, nomor } from './format.js';
import { bar, setText } from './chart.js';
import { subscribe } from './live.js';
import { merge } from './merge.js';
import { leader } from './strip.js';
import { shortTitle } from './labels.js';

// contests: every contest; href(contest) links a card; schedule(fn) batches
// repaints (the dashboard's scheduler). Returns the section, with stop().
export function overview(contests, href, schedule) {
  const cards = contests.map((c) => {
    const pctEl = h('strong.ov-pct');
    const b = bar(0, 'belum ada data');
    const leadEl = h('span.ov-lead');
    const li = h('li.ov-card', { 'data-contest': c.id },
      h('a', { href: href(c) }, h('span.ov-title', { text: shortTitle(c) })),
      h('span.ov-line', {}, pctEl, h('span.note', { text: ' TPS masuk' })), b, leadEl);
    return { c, li, pctEl, b, leadEl, node: null, dirty: false };
  });
  const el = h('section.card.overview', { 'aria-labelledby': 'ov-title' },
    h('h2', { id: 'ov-title', text: 'Semua pemilihan' }),
    h('ol.ov-grid', {}, cards.map((x) => x.li)));

  function paint() {
    for (const x of cards) {
      if (!x.dirty || !x.node) continue;
      x.dirty = false;
      const t = x.node.tps;
      const share = pct(t.counted, t.total, 1);
      setText(x.pctEl, share);
      x.b.update(t.total ? t.counted / t.total : 0, `${share} TPS masuk`);
      const l = leader(x.c.candidates, x.node.votes, x.node.valid);
      setText(x.leadEl, !l ? 'belum ada suara'
        : l.tie ? `imbang ${int(l.first.v)} suara`
          : `unggul ${nomor(l.first.c.number)} ${l.first.c.head} · ${pct(l.first.v, x.node.valid, 1)}`);
      x.leadEl.className = `ov-lead${l && !l.tie ? ` c${l.first.c.number}` : ''}`;
    }
  }
  const stops = cards.map((x) => subscribe(x.c.id, x.c.region, (msg) => {
    x.node ??= { seq: -1, children: [] };
    if (merge(x.node, msg)) { x.dirty = true; schedule(paint); }
  }));
  el.stop = () => stops.forEach((s) => s());
  return el;
}
