// Numbers, percentages and times the Indonesian way: 1.234.567 and 45,6 %;
// times in WIB (Kalimantan Tengah).

const ints = new Intl.NumberFormat('id-ID');
const pct1 = new Intl.NumberFormat('id-ID', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const pct2 = new Intl.NumberFormat('id-ID', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const clock = new Intl.DateTimeFormat('id-ID', {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'Asia/Jakarta',
});
const dateTime = new Intl.DateTimeFormat('id-ID', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
  second: '2-digit', hour12: false, timeZone: 'Asia/Jakarta',
});

export const int = (n) => ints.format(n ?? 0);

// part/whole as a percentage with `digits` decimals (1 or 2); "–" when whole is 0.
export function pct(part, whole, digits = 2) {
  if (!whole) return '–';
  return `${(digits === 1 ? pct1 : pct2).format((100 * part) / whole)}%`;
}

export const time = (d = new Date()) => `${clock.format(d)} WIB`;
export const when = (iso) => (iso ? `${dateTime.format(new Date(iso))} WIB` : '–');

// "01", "02": nomor urut as printed on the ballot.
export const nomor = (n) => String(n).padStart(2, '0');
