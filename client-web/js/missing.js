// The view for an address no route knows.
import { h } from './dom.js';

export function mount(el) {
  document.title = 'Halaman tidak ditemukan — Suara';
  el.append(h('section.card', {},
    h('h1', { text: 'Halaman tidak ditemukan' }),
    h('p', {}, 'Alamat ini tidak dikenal. ', h('a', { href: '/', text: 'Kembali ke dasbor' }), '.')));
}
