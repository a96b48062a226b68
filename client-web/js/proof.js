// The witness's own check that a form is in the count the server signed
// (docs/api.md, "The public log"): on a tap, the page fetches the signed tree head and
// the form's inclusion proof, then recomputes the tree's root from the
// receipt of its 201 with WebCrypto's SHA-256 and checks the head's Ed25519
// signature with WebCrypto too. Nothing is trusted that the browser did not
// recompute; what it cannot know by itself is whether the key is the
// election's, so the key's fingerprint is shown for comparison with the one
// published by the KPU and monitors. The witness can keep or share the proof
// (a JSON file anyone can check again).
import { h, fill } from './dom.js';
import * as api from './api.js';

const RETRY_MS = 1500;   // a form newer than the last signed head waits for the next one
const RETRIES = 40;

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text) {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error('not lower-case hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

export const leafHash = (receiptHex) => sha256(Uint8Array.of(0), fromHex(receiptHex));
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

// The root an audit path leads to (RFC 9162 2.1.3.2), or null when the path
// cannot belong to that index and size.
export async function rootFromPath(leaf, index, size, path) {
  if (!(index >= 0 && index < size)) return null;
  let fn = BigInt(index), sn = BigInt(size - 1), r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

// The exact bytes a head's signature covers.
export function sthMessage(head) {
  return new TextEncoder().encode(`suara-sth-v1\n${head.tree_size}\n${head.root_hash}\n${head.timestamp}`);
}

export async function signatureValid(head) {
  const key = await crypto.subtle.importKey('raw', fromHex(head.public_key), { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, fromHex(head.signature), sthMessage(head));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// {state: 'verified', head, proof} | {state: 'failed'|'unavailable', reason}.
export async function checkReceipt(r) {
  if (!globalThis.crypto?.subtle) return { state: 'unavailable', reason: 'browser ini tidak dapat memeriksa (perlu HTTPS)' };
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const sth = await api.request('GET', '/api/v1/log/sth');
    if (sth.status === 200 && sth.data?.signature) {
      const head = sth.data;
      const inc = await api.request('GET', `/api/v1/log/proof/inclusion?form_id=${encodeURIComponent(r.form_id)}&tree_size=${head.tree_size}`);
      if (inc.status === 200) return verify(r, head, inc.data);
      if (inc.data?.error?.code !== 'not_in_tree') return { state: 'failed', reason: inc.data?.error?.message || `HTTP ${inc.status}` };
    } else if (sth.status === 200) {
      return { state: 'unavailable', reason: 'server tidak menandatangani log' };
    }
    await sleep(RETRY_MS);
  }
  return { state: 'unavailable', reason: 'belum ada kepala log yang memuat formulir ini' };
}

async function verify(r, head, proof) {
  try {
    const path = proof.audit_path.map(fromHex);
    const root = await rootFromPath(await leafHash(r.receipt), proof.leaf_index, head.tree_size, path);
    if (!root || toHex(root) !== head.root_hash) return { state: 'failed', reason: 'tanda terima tidak ada di pohon yang ditandatangani' };
    if (!(await signatureValid(head))) return { state: 'failed', reason: 'tanda tangan kepala log tidak sah' };
    return { state: 'verified', head, proof };
  } catch (e) {
    return { state: 'failed', reason: `bukti tidak dapat dibaca (${e.message})` };
  }
}

// One check per form and page, whatever re-renders the receipt.
const checks = new Map();
function checkOnce(r) {
  if (!checks.has(r.form_id)) checks.set(r.form_id, checkReceipt(r));
  return checks.get(r.form_id);
}

function proofFile(r, result) {
  return JSON.stringify({ receipt: r, signed_tree_head: result.head, inclusion_proof: result.proof }, null, 2);
}

function keep(r, result) {
  const a = h('a', { href: URL.createObjectURL(new Blob([proofFile(r, result)], { type: 'application/json' })), download: `bukti-formulir-${r.form_id}.json` });
  document.body.append(a);
  a.click();
  a.remove();
}

async function share(r, result) {
  const text = proofFile(r, result);
  if (navigator.share) {
    try { await navigator.share({ title: `Bukti formulir #${r.form_id}`, text }); return; } catch { /* cancelled */ }
  }
  await navigator.clipboard?.writeText(text);
}

function show(dd, r, result) {
  dd.dataset.proof = result.state;
  if (result.state !== 'verified') {
    fill(dd, h('span', { class: result.state === 'failed' ? 'proof-bad' : 'muted', text: result.state === 'failed' ? `GAGAL: ${result.reason}` : result.reason }));
    return;
  }
  const { head, proof } = result;
  fill(dd,
    h('strong.proof-ok', { text: 'terverifikasi' }),
    h('span.muted', { text: ` — entri ${proof.leaf_index + 1} dari ${head.tree_size} dalam log yang ditandatangani ${head.timestamp}; kunci ${head.public_key.slice(0, 16)}…` }),
    ' ',
    h('button.link', { type: 'button', text: 'Simpan bukti', onclick: () => keep(r, result) }), ' ',
    h('button.link', { type: 'button', text: 'Bagikan', onclick: () => share(r, result) }));
}

// Runs the check for receipt r and shows the answer in dd (the receipt's
// "Log publik" row, witness.js).
export function checkInto(dd, r) {
  dd.dataset.proof = 'checking';
  fill(dd, h('span.muted', { text: 'memeriksa…' }));
  return checkOnce(r).then((result) => show(dd, r, result));
}
