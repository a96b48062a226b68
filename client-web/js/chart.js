// Candidate pairs with their votes: names, numbers and hand-drawn SVG bars
// (a bar's length is the pair's share of the valid votes).
// Colours follow the nomor urut; the number is always printed as well, so
// colour is never the only cue. Built once; update() changes the numbers and
// bar lengths in place (the same nodes, so nothing flickers or loses focus).

import { h, svg } from './dom.js';
import { int, pct, nomor } from './format.js';

// Sets a node's text only when it differs (no needless mutation records).
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// votes: {"1": n, ...}; valid: the total the shares are taken of.
// Returns the list element, with el.update(votes, valid).
export function candidateBars(candidates, votes, valid) {
  const items = candidates.map((c) => {
    const votesEl = h('strong.votes');
    const shareEl = h('span.share');
    const b = bar(0, '');
    const li = h(`li.cand.c${c.number}`, { 'data-cand': c.number },
      h('span.chip', { 'aria-label': `Nomor urut ${c.number}`, text: nomor(c.number) }),
      h('span.names', {},
        h('strong', { text: c.head }),
        c.deputy ? h('span', { text: c.deputy }) : null),
      h('span.num', {}, votesEl, shareEl),
      b);
    return { c, li, votesEl, shareEl, b };
  });
  const list = h('ol.cands', { 'aria-label': 'Perolehan suara pasangan calon' }, items.map((i) => i.li));
  list.update = (v, total) => {
    const best = Math.max(0, ...candidates.map((c) => v[c.number] || 0));
    for (const i of items) {
      const n = v[i.c.number] || 0;
      const share = pct(n, total);
      setText(i.votesEl, int(n));
      setText(i.shareEl, share);
      i.li.classList.toggle('lead', n > 0 && n === best);
      i.b.update(total ? n / total : 0, `${i.c.head}: ${int(n)} suara, ${share}`);
    }
  };
  list.update(votes, valid);
  return list;
}

// A horizontal bar filled to `fraction` (0..1); el.update(fraction, label).
export function bar(fraction, label) {
  const fill = svg('rect', { class: 'fill', x: 0, y: 0, width: 0, height: 6, rx: 1 });
  const el = svg('svg', { class: 'bar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
    svg('rect', { class: 'track', x: 0, y: 0, width: 100, height: 6, rx: 1 }), fill);
  el.update = (f, text) => {
    const w = (Math.max(0, Math.min(1, f)) * 100).toFixed(2);
    if (fill.getAttribute('width') !== w) fill.setAttribute('width', w);
    if (el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
  };
  el.update(fraction, label);
  return el;
}
