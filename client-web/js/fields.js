// The fields of a Model C.Hasil form, in the order and with the labels of the
// paper form, as [{path, label, section}] where path is the dotted name the
// server uses in its 422 details ("registered.dpt.m", "votes.3").

import { nomor } from './format.js';

export const ROWS = [
  ['dpt', 'DPT', 'Daftar Pemilih Tetap'],
  ['dpph', 'DPPh', 'Daftar Pemilih Pindahan'],
  ['dptb', 'DPTb', 'Daftar Pemilih Tambahan'],
];
export const SEXES = [['m', 'Laki-laki', 'L'], ['f', 'Perempuan', 'P']];

// Rows II and III in the words of the Model C.Hasil-KWK, with what the paper
// adds in smaller print as the hint.
export const BALLOTS = [
  ['received', 'Jumlah surat suara yang diterima', 'termasuk surat suara cadangan 2,5%'],
  ['returned', 'Jumlah surat suara yang dikembalikan oleh pemilih', 'karena rusak atau keliru coblos'],
  ['unused', 'Jumlah surat suara yang tidak digunakan', 'termasuk sisa surat suara cadangan'],
  ['used', 'Jumlah surat suara yang digunakan', ''],
];

export const DISABILITY = [
  ['registered', 'Jumlah seluruh pemilih disabilitas'],
  ['voted', 'Jumlah pemilih disabilitas yang menggunakan hak pilih'],
];

export const SECTION = {
  registered: 'I.A Data Pemilih',
  voted: 'I.B Pengguna Hak Pilih',
  ballots: 'II. Data Penggunaan Surat Suara',
  disability: 'III. Pemilih Disabilitas',
  votes: 'IV. Perolehan Suara',
};

export const candidateLabel = (c) => `${nomor(c.number)} ${c.head}${c.deputy ? ` – ${c.deputy}` : ''}`;

// Every count of the form for a contest's candidates, in paper order.
export function fieldList(candidates) {
  const list = [];
  for (const base of ['registered', 'voted']) {
    for (const [row, short] of ROWS) {
      for (const [sex, , s] of SEXES) list.push({ path: `${base}.${row}.${sex}`, label: `${short} ${s}`, section: base });
    }
  }
  for (const [k, label] of BALLOTS) list.push({ path: `ballots.${k}`, label, section: 'ballots' });
  for (const [k, label] of DISABILITY) list.push({ path: `disability.${k}`, label, section: 'disability' });
  for (const c of candidates) list.push({ path: `votes.${c.number}`, label: candidateLabel(c), section: 'votes' });
  list.push({ path: 'valid', label: 'Jumlah seluruh suara sah', section: 'votes' });
  list.push({ path: 'invalid', label: 'Jumlah suara tidak sah', section: 'votes' });
  list.push({ path: 'total', label: 'Jumlah seluruh suara sah dan suara tidak sah', section: 'votes' });
  return list;
}

export function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

export function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = value;
}

// An all-empty form body for a TPS and contest (counts as undefined).
export function emptyForm(tps, contest) {
  const rows = () => Object.fromEntries(ROWS.map(([r]) => [r, { m: undefined, f: undefined }]));
  return {
    tps, contest: contest.id, registered: rows(), voted: rows(),
    ballots: { received: undefined, returned: undefined, unused: undefined, used: undefined },
    disability: { registered: undefined, voted: undefined },
    votes: Object.fromEntries(contest.candidates.map((c) => [String(c.number), undefined])),
    valid: undefined, invalid: undefined, total: undefined,
  };
}
