// The photos of the C.Hasil plano beside the numbers: a strip of thumbnails
// for a form's pages (photos: [{sha256, stored}]), each opening a viewer to
// zoom and rotate. Photos are fetched with the reader's token when there is
// one (private reads), so an <img> never needs the token in its address.
//
// API:
//   photoStrip(photos, {token, label})   -> element (nothing for no photos)
//   photoColumns(columns, {token})       -> element: several forms' photos
//                                           side by side [{title, photos}]

import { h, fill } from './dom.js';

const cache = new Map(); // sha256 -> Promise<object URL | null>

function photoUrl(sha256, token) {
  if (!cache.has(sha256)) {
    cache.set(sha256, (async () => {
      try {
        const res = await fetch(`/api/v1/photos/${sha256}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
        if (!res.ok) return null;
        return URL.createObjectURL(await res.blob());
      } catch { return null; }
    })().then((url) => { if (!url) cache.delete(sha256); return url; }));
  }
  return cache.get(sha256);
}

function openViewer(url, label) {
  let angle = 0;
  let zoom = 1;
  const img = h('img.viewer-img', { src: url, alt: label });
  const apply = () => { img.style.transform = `rotate(${angle}deg) scale(${zoom})`; };
  const close = () => { dialog.close(); dialog.remove(); };
  const dialog = h('dialog.photo-viewer', { 'aria-label': label, onclose: () => dialog.remove() },
    h('div.viewer-bar', {},
      h('span', { text: label }),
      h('button', { type: 'button', 'data-act': 'rotate', text: 'Putar ↻', onclick: () => { angle = (angle + 90) % 360; apply(); } }),
      h('button', { type: 'button', 'data-act': 'zoom-in', text: 'Perbesar +', onclick: () => { zoom = Math.min(4, zoom * 1.5); apply(); } }),
      h('button', { type: 'button', 'data-act': 'zoom-out', text: 'Perkecil −', onclick: () => { zoom = Math.max(1, zoom / 1.5); apply(); } }),
      h('button.primary', { type: 'button', 'data-act': 'close', text: 'Tutup', onclick: close })),
    h('div.viewer-stage', { onclick: (e) => { if (e.target === img) { zoom = zoom > 1 ? 1 : 2; apply(); } } }, img));
  document.body.append(dialog);
  dialog.showModal();
}

export function photoStrip(photos, { token = null, label = 'Foto C.Hasil' } = {}) {
  if (!photos || !photos.length) return h('p.muted.no-photo', { text: 'Tanpa foto C.Hasil.' });
  return h('ol.photo-strip', { 'aria-label': label }, photos.map((p, i) => {
    const name = `${label}, halaman ${i + 1}`;
    const li = h('li.photo-thumb', { 'data-sha256': p.sha256, 'data-stored': String(p.stored) });
    if (!p.stored) {
      fill(li, h('span.photo-missing', { text: `Halaman ${i + 1}: foto belum diterima` }));
      return li;
    }
    fill(li, h('span.photo-loading', { text: `Halaman ${i + 1}…` }));
    photoUrl(p.sha256, token).then((url) => {
      if (!url) { fill(li, h('span.photo-missing', { text: `Halaman ${i + 1}: foto tidak dapat dimuat` })); return; }
      fill(li, h('button.thumb', { type: 'button', 'aria-label': `Buka ${name}`, onclick: () => openViewer(url, name) },
        h('img', { src: url, alt: name }), h('span.page-no', { text: `Hal. ${i + 1}` })));
    });
    return li;
  }));
}

export function photoColumns(columns, { token = null } = {}) {
  return h('div.photo-columns', {}, columns.map((c) => h('section.photo-column', {},
    h('h3', { text: c.title }), photoStrip(c.photos, { token, label: c.title }))));
}
