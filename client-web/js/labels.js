// Every word the interface shows for a server code: region levels, form and
// TPS statuses, consistency checks, structural problems and API errors.

export const LEVEL = {
  province: 'Provinsi', kabupaten: 'Kabupaten/Kota', kecamatan: 'Kecamatan',
  desa: 'Desa/Kelurahan', tps: 'TPS',
};

// The level below: what a table of children lists.
export const CHILD_LEVEL = {
  province: 'Kabupaten/Kota', kabupaten: 'Kecamatan', kecamatan: 'Desa/Kelurahan', desa: 'TPS',
};

export const STATUS = {
  counted: 'Terhitung', confirmed: 'Terkonfirmasi', held: 'Ditahan', disputed: 'Sengketa',
  superseded: 'Digantikan', rejected: 'Ditolak', confirmation: 'Konfirmasi', empty: 'Belum masuk',
};

export const CONTEST_KIND = { gubernur: 'Gubernur', bupati: 'Bupati', walikota: 'Wali Kota' };

// "Pemilihan Bupati dan Wakil Bupati Kapuas 2024" -> "Bupati Kapuas 2024".
export const shortTitle = (contest) => contest.title.replace(/^Pemilihan (.+?) dan Wakil \1 /, '$1 ');

// Consistency checks: a short name and the rule, as the witness reads it.
export const CHECK = {
  valid_sum: ['Jumlah suara sah', 'Suara sah semua pasangan calon dijumlahkan = Jumlah Suara Sah'],
  total_sum: ['Jumlah suara', 'Suara Sah + Suara Tidak Sah = Jumlah Suara Sah dan Tidak Sah'],
  ballot_balance: ['Neraca surat suara', 'Surat suara digunakan + dikembalikan + tidak digunakan = diterima'],
  turnout_match: ['Pengguna hak pilih', 'Jumlah Pengguna Hak Pilih = surat suara digunakan = Jumlah Suara Sah dan Tidak Sah'],
  voted_le_registered: ['Pemilih dan pengguna', 'Pengguna hak pilih DPT dan DPPh tidak melebihi pemilihnya (laki-laki dan perempuan masing-masing)'],
  dpt_matches_roll: ['DPT sesuai KPU', 'DPT laki-laki + perempuan = DPT TPS ini menurut data KPU'],
  tps_capacity: ['Kapasitas TPS', 'DPT + DPPh paling banyak 600 pemilih'],
  ballot_reserve: ['Surat suara cadangan', 'Surat suara diterima paling banyak DPT + 2,5% (dibulatkan ke atas)'],
  disability_le: ['Pemilih disabilitas', 'Pemilih disabilitas yang memilih tidak melebihi yang terdaftar maupun jumlah pengguna hak pilih'],
  invalid_share: ['Suara tidak sah tinggi', 'Suara tidak sah 3% atau lebih dari jumlah suara'],
  zero_total: ['Tidak ada suara', 'Jumlah suara sah dan tidak sah 0'],
};

export const checkName = (code) => (CHECK[code] ? CHECK[code][0] : code);
export const checkRule = (code) => (CHECK[code] ? CHECK[code][1] : code);

// Codes in the details of a 422.
export const PROBLEM = {
  missing: 'wajib diisi', unknown_field: 'isian tidak dikenal', duplicate_key: 'isian ganda',
  not_integer: 'harus bilangan bulat', out_of_range: 'harus 0 sampai 9.999', not_string: 'harus teks',
  not_object: 'bentuk salah', bad_format: 'format salah', too_many: 'terlalu banyak isian',
  empty: 'kosong', unknown_tps: 'TPS tidak dikenal', unknown_contest: 'pemilihan tidak dikenal',
  tps_not_in_contest: 'TPS tidak termasuk wilayah pemilihan ini',
  unknown_candidate: 'nomor urut tidak ada pada pemilihan ini',
};

// API error codes, as a sentence.
export const ERROR = {
  missing_token: 'Token belum diisi.',
  bad_token: 'Token tidak berbentuk benar.',
  unknown_token: 'Token tidak dikenal atau sudah dicabut.',
  forbidden: 'Token ini tidak berwenang untuk wilayah atau TPS ini.',
  invalid_form: 'Formulir ditolak server karena isiannya tidak lengkap atau salah bentuk.',
  malformed_json: 'Data yang dikirim rusak.',
  submission_id_reused: 'Nomor kiriman ini sudah dipakai untuk formulir lain.',
  body_too_large: 'Data terlalu besar.',
  rate_limited: 'Terlalu banyak kiriman; akan dicoba lagi.',
  storage_unavailable: 'Penyimpanan server sedang tidak tersedia; akan dicoba lagi.',
  not_pending: 'Formulir ini sudah diputuskan sebelumnya.',
  invalid_decision: 'Keputusan tidak lengkap.',
  not_found: 'Tidak ditemukan.',
  region_final: 'Hasil wilayah ini sudah final (sesudah pleno): formulir dan keputusan tidak diterima lagi. Hanya amandemen admin yang dapat mengubahnya.',
  already_final: 'Wilayah ini sudah final.',
  amendment_needs_admin: 'Hanya token admin yang dapat mengirim amandemen.',
  not_ready: 'Server sedang memuat; akan dicoba lagi.',
  network: 'Server tidak terjangkau.',
  timeout: 'Server tidak menjawab tepat waktu.',
};

// A readable sentence for an API reply that is not a success.
export function errorText(reply) {
  if (!reply?.status) return ERROR[reply?.error] || ERROR.network;
  const code = reply.data?.error?.code;
  return ERROR[code] || reply.data?.error?.message || `Kesalahan HTTP ${reply.status}.`;
}
