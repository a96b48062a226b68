// The witnesses' cards (/admin/kartu): an admin picks a kecamatan (or one of
// its desa), the server makes a witness token for every TPS there (POST
// /api/v1/tokens/cards) and the page lays out one card per TPS, ready to
// print: the TPS and its places, the QR code of the link that carries the
// token (/saksi#t=...), the link itself and what the witness does with it.
// The tokens exist only in this page's memory and on paper: they are never
// stored in the browser, and leaving the page forgets them.
import { h, fill, svg } from './dom.js';
import * as api from './api.js';
import { getToken } from './tokens.js';
import { tokenCard } from './tokencard.js';
import { checkAdmin } from './admintoken.js';
import { errorText } from './labels.js';

// css/cards.css, loaded with this page only (every phone loads app.css).
function cardsStylesheet() {
  if (document.querySelector('link[href="/css/cards.css"]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/cards.css' }));
}

// The QR code as SVG: one square per dark module, four modules of quiet
// zone around, drawn from the server's modules (libqrencode, level M).
export function qrSvg({ width, modules }, label) {
  const size = width + 8;
  let d = '';
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      if (modules[y * width + x] === '1') d += `M${x + 4} ${y + 4}h1v1h-1z`;
    }
  }
  return svg('svg', { viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': label, class: 'qr', 'shape-rendering': 'crispEdges' },
    svg('rect', { width: size, height: size, fill: '#fff' }),
    svg('path', { d, fill: '#000' }));
}

function card(c) {
  return h('article.witness-card', { 'data-tps': c.tps },
    h('header',
      h('p.wc-kind', { text: 'Kartu saksi · Suara' }),
      h('h3', { text: `${c.name} · ${c.desa}` }),
      h('p.wc-place', { text: `Kec. ${c.kecamatan}, ${c.kabupaten}` }),
      h('p.wc-code', { text: c.tps })),
    qrSvg(c.qr, `Kode QR tautan saksi ${c.name} ${c.desa}`),
    h('ol.wc-steps',
      h('li', { text: 'Pindai kode QR dengan kamera HP (atau buka tautan di bawah).' }),
      h('li', { text: 'Halaman Saksi terbuka dengan token Anda; pasang aplikasinya bila ditawarkan. Lakukan sebelum hari pemungutan, di tempat yang ada sinyal, sampai tertulis “Siap dipakai tanpa sinyal”.' }),
      h('li', { text: 'Pada hari pemungutan, salin formulir C.Hasil dari plano di TPS ini.' })),
    h('p.wc-link', h('code', { text: c.link })),
    h('p.wc-warn', { text: 'Kartu ini rahasia: siapa pun yang memegangnya dapat mengirim formulir untuk TPS ini.' }));
}

// Kabupaten, then kecamatan, then (optionally) desa and one of its TPS: the
// region the cards are for. One TPS is how a lost card is replaced without
// replacing its neighbours' cards.
function regionChooser(onReady) {
  const kab = h('select', { id: 'cards-kab' }, h('option', { value: '', text: 'Pilih kabupaten/kota' }));
  const kec = h('select', { id: 'cards-kec', disabled: true }, h('option', { value: '', text: 'Pilih kecamatan' }));
  const desa = h('select', { id: 'cards-desa', disabled: true }, h('option', { value: '', text: 'Semua desa/kelurahan' }));
  const tps = h('select', { id: 'cards-tps', disabled: true }, h('option', { value: '', text: 'Semua TPS' }));
  const fillSelect = (sel, first, children) => fill(sel, first, children.map((r) => h('option', { value: r.code, text: r.name })));
  const chosen = () => tps.value || desa.value || kec.value;
  // Each choice empties and locks the ones below it and names the region now
  // chosen at once, then fills the next level. (Emptied only once the next
  // list had come, the levels below kept the earlier choice meanwhile, and
  // the button made the cards of that region: the kabupaten, or a desa of
  // the kecamatan chosen before.)
  const below = async (parentSel, sel, next) => {
    for (const s of [sel, ...next]) { s.disabled = true; fillSelect(s, s.options[0], []); }
    onReady(chosen());
    const parent = parentSel.value;
    if (!parent) return;
    let children;
    try { children = (await api.region(parent)).children; } catch { return; /* offline: nothing to choose */ }
    if (parentSel.value !== parent) return; // chosen again while the list came
    fillSelect(sel, sel.options[0], children);
    sel.disabled = false;
  };
  api.region('62').then((p) => fillSelect(kab, kab.options[0], p.children)).catch(() => { /* offline: nothing to choose */ });
  kab.addEventListener('change', () => below(kab, kec, [desa, tps]));
  kec.addEventListener('change', () => below(kec, desa, [tps]));
  desa.addEventListener('change', () => below(desa, tps, []));
  tps.addEventListener('change', () => onReady(chosen()));
  return h('div.cards-chooser',
    h('label', { for: 'cards-kab', text: 'Kabupaten/kota' }), kab,
    h('label', { for: 'cards-kec', text: 'Kecamatan' }), kec,
    h('label', { for: 'cards-desa', text: 'Desa/kelurahan' }), desa,
    h('label', { for: 'cards-tps', text: 'TPS (satu kartu yang hilang atau rusak)' }), tps);
}

// What the answer says was revoked: the earlier tokens of these TPS, by name.
function revokedText(revoked = []) {
  if (!revoked.length) return 'Tidak ada kartu lama yang dicabut.';
  const names = revoked.slice(0, 5).map((r) => r.name || `token #${r.id}`).join(', ');
  return `${revoked.length} kartu lama dicabut, tidak berlaku lagi: ${names}${revoked.length > 5 ? ', …' : ''}.`;
}

function makerCard(sheet) {
  const msg = h('p.field-msg', { id: 'cards-msg', role: 'status' });
  let region = '';
  let confirming = false;
  const button = h('button', { type: 'button', disabled: true, text: 'Buat kartu' });
  const reset = () => { confirming = false; button.textContent = 'Buat kartu'; };
  const chooser = regionChooser((code) => { region = code; button.disabled = !code; reset(); msg.textContent = ''; });
  button.addEventListener('click', async () => {
    if (!confirming) {
      const info = await api.region(region);
      confirming = true;
      const one = info.level === 'tps';
      button.textContent = `Ya, buat ${one ? 1 : info.tps_count ?? 'semua'} token baru`;
      msg.textContent = `${one ? `Satu token saksi baru untuk ${info.name} (${info.code})` : `Satu token saksi baru untuk setiap TPS di ${info.name}`}. Kartu baru menggantikan kartu lama: token saksi khusus TPS itu yang masih berlaku (kartu sebelumnya, atau dari suara token create) dicabut saat itu juga. Token saksi untuk desa atau wilayah yang lebih luas tetap berlaku.`;
      return;
    }
    button.disabled = true;
    msg.textContent = 'Membuat token…';
    const reply = await api.request('POST', '/api/v1/tokens/cards', {
      token: getToken('admin'), body: { region, base_url: location.origin },
    });
    button.disabled = false;
    reset();
    if (reply.status !== 201) { msg.textContent = `Kartu tidak dibuat: ${errorText(reply)}`; return; }
    msg.textContent = `${reply.data.cards.length} kartu untuk ${reply.data.region.name}. ${revokedText(reply.data.revoked)}`;
    showCards(sheet, reply.data);
  });
  return h('section.card.cards-maker', { 'aria-labelledby': 'cards-maker-title' },
    h('h2', { id: 'cards-maker-title', text: 'Kartu saksi per TPS' }),
    h('p.muted', { text: 'Pilih kecamatan (atau satu desa, atau satu TPS); setiap TPS di sana mendapat token saksi baru dan satu kartu dengan kode QR untuk dicetak.' }),
    chooser, button, msg);
}

function showCards(sheet, data) {
  fill(sheet,
    h('div.cards-bar',
      h('p', { text: `${data.cards.length} kartu · ${data.region.name}` }),
      h('button', { type: 'button', text: 'Cetak kartu', onclick: () => window.print() })),
    h('div.cards-grid', data.cards.map(card)));
}

export function mount(main) {
  cardsStylesheet();
  const sheet = h('section.cards-sheet', { 'aria-label': 'Kartu untuk dicetak' });
  const body = h('div');
  const show = (token) => fill(body, token ? makerCard(sheet) : null);
  fill(main,
    h('h1.sr-only', { text: 'Kartu saksi' }),
    tokenCard('admin', 'Token admin', 'Kartu dibuat dengan token admin (dari `suara token create --role admin`).', show, { check: checkAdmin }),
    body, sheet);
  show(getToken('admin'));
}
