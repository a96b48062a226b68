// Candidate pairs with their votes: names, numbers and hand-drawn SVG bars
// (a bar's length is the pair's share of the valid votes).
// Colours follow the nomor urut; the number is always printed as well, so
// colour is never the only cue.

import { h, svg } from './dom.js';
import { int, pct, nomor } from './format.js';

// votes: {"1": n, ...}; valid: the total the shares are taken of.
export function candidateBars(candidates, votes, valid) {
  return h('ol.cands', { 'aria-label': 'Perolehan suara pasangan calon' },
    candidates.map((c) => {
      const v = votes[c.number] || 0;
      const share = pct(v, valid);
      return h(`li.cand.c${c.number}`, { 'data-cand': c.number },
        h('span.chip', { 'aria-label': `Nomor urut ${c.number}`, text: nomor(c.number) }),
        h('span.names', {},
          h('strong', { text: c.head }),
          c.deputy ? h('span', { text: c.deputy }) : null),
        h('span.num', {},
          h('strong.votes', { text: int(v) }),
          h('span.share', { text: share })),
        bar(valid ? v / valid : 0, `${c.head}: ${int(v)} suara, ${share}`));
    }));
}

// A horizontal bar filled to `fraction` (0..1).
export function bar(fraction, label) {
  const w = Math.max(0, Math.min(1, fraction)) * 100;
  return svg('svg', { class: 'bar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
    svg('rect', { class: 'track', x: 0, y: 0, width: 100, height: 6, rx: 1 }),
    svg('rect', { class: 'fill', x: 0, y: 0, width: w.toFixed(2), height: 6, rx: 1 }));
}
