// The witness's camera: the pages of the plano (C.Hasil) photographed with
// the phone's back camera, each shrunk in the browser to at most 2000 px on
// its long side as a JPEG (about 200–400 KB) before it is kept, shown as a
// numbered list to reorder, remove and look at before sending. The pages of
// a form not sent yet are kept in the outbox's database with the draft of
// its numbers (outbox.js draftPages), so a reload, a crashed tab or a phone
// that killed the browser does not lose them.
//
// API:
//   cameraCard({draft, restore}) -> {el, pages(), clear(), stop()}
//   draft                   the draft's key (entry.js draftKey): every change
//                           of the pages is saved under it; null: not saved
//   restore                 true: starts with the pages saved under draft
//   el                      the card to put in the form
//   pages()                 the shrunk JPEG blobs in page order
//   clear()                 forgets every page here (the saved ones stay)
//   stop()                  Promise: no more saves; resolves once the last
//                           one has landed (then the draft may be removed)
//   shrink(blob)            Promise<Blob>: the JPEG the server will get
//   photoHashes(blobs)      Promise<[sha256]>: the values of a form's "photos"

import { h, fill } from './dom.js';
import { draftPages, saveDraftPages } from './outbox.js';

export const MAX_SIDE = 2000;
export const MAX_PAGES = 8; // the server takes 1 to 8 pages per form
const QUALITY = 0.85;

export async function shrink(blob) {
  const bitmap = await createImageBitmap(blob); // honours the photo's EXIF orientation
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const hgt = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = hgt;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, w, hgt);
  bitmap.close?.();
  return new Promise((resolve, reject) => canvas.toBlob(
    (b) => (b ? resolve(b) : reject(new Error('the photo could not be encoded'))), 'image/jpeg', QUALITY));
}

const hex = (buf) => [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, '0')).join('');

export async function photoHashes(blobs) {
  return Promise.all(blobs.map(async (b) => hex(await crypto.subtle.digest('SHA-256', await b.arrayBuffer()))));
}

const kb = (n) => `${Math.round(n / 1024)} KB`;

// The saves of every card, one after the other: a card drawn again for the
// same draft reads what the one before it saved last.
let saving = Promise.resolve();

export function cameraCard({ draft = null, restore = false } = {}) {
  const pages = []; // {blob, url}
  let keep = !!draft; // changes are saved under draft
  const list = h('ol.photo-pages', { 'aria-label': 'Halaman foto C.Hasil' });
  const note = h('p.help', { role: 'status', 'aria-live': 'polite' });
  const input = h('input.visually-hidden', {
    type: 'file', id: 'cam-input', accept: 'image/*', capture: 'environment', multiple: true,
    onchange: () => { take([...input.files]); input.value = ''; },
  });

  const add = (blob) => pages.push({ blob, url: URL.createObjectURL(blob) });

  function save() {
    if (!keep) return;
    const blobs = pages.map((p) => p.blob);
    saving = saving.then(() => saveDraftPages(draft, blobs))
      .catch(() => { note.textContent = 'Foto belum tersimpan di perangkat (penyimpanan penuh).'; });
  }

  const restored = keep && restore ? saving.then(() => draftPages(draft))
    .then((blobs) => { if (keep) { blobs.forEach(add); render(); } }).catch(() => { /* none kept */ }) : null;

  async function take(files) {
    await restored; // new pages come after the kept ones
    for (const file of files) {
      if (pages.length >= MAX_PAGES) { note.textContent = `Paling banyak ${MAX_PAGES} halaman.`; break; }
      note.textContent = 'Mengecilkan foto…';
      try {
        add(await shrink(file));
        note.textContent = '';
      } catch {
        note.textContent = 'Berkas ini bukan foto yang dapat dibaca.';
      }
    }
    render();
    save();
  }

  function move(i, by) {
    const j = i + by;
    if (j < 0 || j >= pages.length) return;
    [pages[i], pages[j]] = [pages[j], pages[i]];
    render();
    save();
    list.querySelectorAll('li')[j]?.querySelector(by < 0 ? '[data-act=up]' : '[data-act=down]')?.focus();
  }

  function remove(i) {
    URL.revokeObjectURL(pages[i].url);
    pages.splice(i, 1);
    render();
    save();
  }

  function render() {
    fill(list, pages.map((p, i) => h('li.photo-page', { 'data-page': i + 1 },
      h('img', { src: p.url, alt: `Halaman ${i + 1}`, loading: 'lazy' }),
      h('span.page-no', { text: `Halaman ${i + 1} · ${kb(p.blob.size)}` }),
      h('span.page-actions', {},
        h('button', { type: 'button', 'data-act': 'up', disabled: i === 0, 'aria-label': `Halaman ${i + 1} naik`, text: '↑', onclick: () => move(i, -1) }),
        h('button', { type: 'button', 'data-act': 'down', disabled: i === pages.length - 1, 'aria-label': `Halaman ${i + 1} turun`, text: '↓', onclick: () => move(i, 1) }),
        h('button.danger', { type: 'button', 'data-act': 'remove', 'aria-label': `Hapus halaman ${i + 1}`, text: 'Hapus', onclick: () => remove(i) })))));
    summary.textContent = pages.length ? `${pages.length} halaman difoto.` : 'Belum ada foto.';
  }

  const summary = h('p.photo-summary');
  const el = h('section.card.camera-card', { 'aria-labelledby': 'cam-title' },
    h('h3', { id: 'cam-title', text: 'Foto C.Hasil (plano)' }),
    h('p.help', { text: 'Foto setiap halaman formulir plano, berurutan. Foto dikirim setelah angka, otomatis, walau sinyal putus-sambung.' }),
    input,
    h('label.button', { for: 'cam-input', text: 'Ambil foto halaman' }),
    summary, note, list);
  render();
  return {
    el,
    pages: () => pages.map((p) => p.blob),
    clear: () => { keep = false; pages.forEach((p) => URL.revokeObjectURL(p.url)); pages.length = 0; render(); },
    stop: () => { keep = false; return saving; },
  };
}
