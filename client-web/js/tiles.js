// A tile map of Kalimantan Tengah: one square per kabupaten/kota in its rough
// place (north up), coloured by the leading pair, with its share of TPS
// counted. No boundary data of a clear licence ships with Debian or the npm
// registry for these regions, so the page draws the grid itself from the
// positions below (a cartogram, not a map: sizes are equal on purpose).
// Colour is never the only cue: each tile prints the leader's number.

import { h } from './dom.js';
import { pct, nomor } from './format.js';
import { setText } from './chart.js';
import { leader } from './strip.js';

// code -> [column, row] on a 7 x 4 grid.
export const TILE_POS = {
  '62.13': [5, 0], // Murung Raya
  '62.07': [1, 1], // Lamandau
  '62.09': [3, 1], // Katingan
  '62.11': [4, 1], // Gunung Mas
  '62.05': [5, 1], // Barito Utara
  '62.06': [0, 2], // Sukamara
  '62.01': [1, 2], // Kotawaringin Barat
  '62.08': [2, 2], // Seruyan
  '62.02': [3, 2], // Kotawaringin Timur
  '62.71': [4, 2], // Palangka Raya
  '62.04': [5, 2], // Barito Selatan
  '62.12': [6, 2], // Barito Timur
  '62.10': [4, 3], // Pulang Pisau
  '62.03': [5, 3], // Kapuas
};

const shortName = (name) => name.replace(/^Kabupaten /, '').replace(/^Kota /, 'Kota ');

// True when the children of this node are the kabupaten/kota of the grid.
export const hasTiles = (node) => node.level === 'province' && node.children.some((c) => TILE_POS[c.region]);

// href(child) links each tile to its view.
export function tileMap(contest, href) {
  const tiles = new Map();
  const grid = h('ol.tiles', { 'aria-label': 'Peta petak kabupaten/kota, warna menurut pasangan unggul' });
  const el = h('section.card.tile-card', { 'aria-labelledby': 'tiles-title' },
    h('h2', { id: 'tiles-title', text: 'Peta unggul per kabupaten/kota' }), grid,
    h('p.help', { text: 'Petak disusun kira-kira menurut letaknya; ukurannya sama, bukan menurut luas.' }));

  el.update = (children) => {
    for (const c of children) {
      const pos = TILE_POS[c.region];
      if (!pos) continue;
      let t = tiles.get(c.region);
      if (!t) {
        const lead = h('span.tile-lead');
        const share = h('span.tile-pct');
        const a = h('a.tile', { href: href(c) }, h('span.tile-name', { text: shortName(c.name) }), lead, share);
        const li = h('li', { 'data-tile': c.region }, a);
        // Through the CSSOM: a style attribute is inline style, which the CSP refuses.
        li.style.gridColumn = String(pos[0] + 1);
        li.style.gridRow = String(pos[1] + 1);
        t = { li, a, lead, share, cls: '' };
        tiles.set(c.region, t);
        grid.append(li);
      }
      const l = leader(contest.candidates, c.votes, c.valid);
      const cls = l && !l.tie ? `c${l.first.c.number}` : '';
      if (cls !== t.cls) {
        if (t.cls) t.a.classList.remove(t.cls);
        if (cls) t.a.classList.add(cls);
        t.cls = cls;
      }
      setText(t.lead, l ? (l.tie ? 'imbang' : `unggul ${nomor(l.first.c.number)}`) : 'belum ada suara');
      setText(t.share, `${pct(c.tps.counted, c.tps.total, 1)} TPS`);
    }
  };
  return el;
}
