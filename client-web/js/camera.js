// The witness's camera: the pages of the plano (C.Hasil) photographed with
// the phone's back camera, each shrunk in the browser to at most 2000 px on
// its long side as a JPEG (about 200–400 KB) before it is kept, shown as a
// numbered list to reorder, remove and look at before sending.
//
// API:
//   cameraCard()            -> {el, pages(), clear()}
//   el                      the card to put in the form
//   pages()                 the shrunk JPEG blobs in page order
//   clear()                 forgets every page (after the form is stored)
//   shrink(blob)            Promise<Blob>: the JPEG the server will get
//   photoHashes(blobs)      Promise<[sha256]>: the values of a form's "photos"

import { h, fill } from './dom.js';

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

export function cameraCard() {
  const pages = []; // {blob, url}
  const list = h('ol.photo-pages', { 'aria-label': 'Halaman foto C.Hasil' });
  const note = h('p.help', { role: 'status', 'aria-live': 'polite' });
  const input = h('input.visually-hidden', {
    type: 'file', id: 'cam-input', accept: 'image/*', capture: 'environment', multiple: true,
    onchange: () => { take([...input.files]); input.value = ''; },
  });

  async function take(files) {
    for (const file of files) {
      if (pages.length >= MAX_PAGES) { note.textContent = `Paling banyak ${MAX_PAGES} halaman.`; break; }
      note.textContent = 'Mengecilkan foto…';
      try {
        const blob = await shrink(file);
        pages.push({ blob, url: URL.createObjectURL(blob) });
        note.textContent = '';
      } catch {
        note.textContent = 'Berkas ini bukan foto yang dapat dibaca.';
      }
    }
    render();
  }

  function move(i, by) {
    const j = i + by;
    if (j < 0 || j >= pages.length) return;
    [pages[i], pages[j]] = [pages[j], pages[i]];
    render();
    list.querySelectorAll('li')[j]?.querySelector(by < 0 ? '[data-act=up]' : '[data-act=down]')?.focus();
  }

  function remove(i) {
    URL.revokeObjectURL(pages[i].url);
    pages.splice(i, 1);
    render();
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
    clear: () => { pages.forEach((p) => URL.revokeObjectURL(p.url)); pages.length = 0; render(); },
  };
}
