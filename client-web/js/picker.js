// Choosing a TPS: type its code, or go down kabupaten/kota -> kecamatan ->
// desa/kelurahan -> TPS with one select per level, starting below `root` (the
// witness token's scope, so only TPS it may write are offered). Calls
// onPick(region) with the TPS as GET /api/v1/regions/{code} answers it.

import { h, fill } from './dom.js';
import * as api from './api.js';

const TPS_CODE = /^\d{2}\.\d{2}\.\d{2}\.\d{4}\.\d{3}$/;
const ALL_LEVELS = [
  ['kabupaten', 'Kabupaten/Kota'], ['kecamatan', 'Kecamatan'], ['desa', 'Desa/Kelurahan'], ['tps', 'TPS'],
];
const ORDER = ['province', 'kabupaten', 'kecamatan', 'desa', 'tps'];

export function tpsPicker({ root = '62', rootLevel = 'province', onPick }) {
  const LEVELS = ALL_LEVELS.slice(Math.max(0, ORDER.indexOf(rootLevel)));
  const msg = h('p.field-msg', { role: 'status', 'aria-live': 'polite' });
  const input = h('input', {
    id: 'tps-code', name: 'tps', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
    placeholder: '62.01.01.1011.001', 'aria-describedby': 'tps-code-help',
  });

  async function pick(code) {
    msg.textContent = 'Memeriksa…';
    try {
      const info = await api.region(code);
      if (info.level !== 'tps') throw Object.assign(new Error(), { status: 404 });
      msg.textContent = '';
      onPick(info);
    } catch (e) {
      msg.textContent = e.status === 404 ? `TPS ${code} tidak ditemukan.` : 'Tidak dapat memeriksa TPS; periksa koneksi.';
    }
  }

  const typed = h('form.row', {
    onsubmit: (e) => {
      e.preventDefault();
      const code = input.value.trim();
      if (!TPS_CODE.test(code)) { msg.textContent = 'Kode TPS berbentuk 62.01.01.1011.001 (kode desa dan nomor TPS).'; return; }
      pick(code);
    },
  },
  h('div.field', {}, h('label', { for: 'tps-code', text: 'Kode TPS' }), input,
    h('span.help', { id: 'tps-code-help', text: 'Kode desa/kelurahan dan nomor TPS, seperti pada formulir.' })),
  h('button', { type: 'submit', text: 'Gunakan' }));

  const selects = LEVELS.map(([level, label]) => h('select', { id: `pick-${level}`, disabled: true, 'aria-label': label }));
  const cascade = h('div.cascade', {}, LEVELS.map(([level, label], i) => h('div.field', {},
    h('label', { for: `pick-${level}`, text: label }), selects[i])));

  async function load(i, parent) {
    for (let j = i; j < selects.length; j++) { fill(selects[j]); selects[j].disabled = true; }
    if (i >= selects.length) return;
    fill(selects[i], h('option', { value: '', text: 'Memuat…' }));
    try {
      const region = await api.region(parent);
      fill(selects[i], h('option', { value: '', text: `— pilih ${LEVELS[i][1]} —` }),
        region.children.map((c) => h('option', { value: c.code, text: c.level === 'tps' ? `${c.name} (${c.code.slice(-3)})` : c.name })));
      selects[i].disabled = false;
    } catch {
      fill(selects[i], h('option', { value: '', text: 'Gagal memuat' }));
    }
  }
  selects.forEach((s, i) => s.addEventListener('change', () => {
    if (!s.value) return;
    if (i === selects.length - 1) { input.value = s.value; pick(s.value); } else load(i + 1, s.value);
  }));
  if (LEVELS.length) load(0, root);
  else pick(root); // the scope is one TPS

  return h('div.picker', {}, typed, h('p.or', { text: 'atau pilih wilayah:' }), cascade, msg);
}
