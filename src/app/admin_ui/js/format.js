// Formatting values for display: sizes, times, plurals, table cells.

export function fmtBytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
// Times arrive as unix seconds, milliseconds or SQLite text.
export function toDate(v) {
  if (v == null || v === '') return null;
  if (typeof v === 'number') return new Date(v > 1e12 ? v : v * 1000);
  if (/^\d+$/.test(String(v))) return toDate(Number(v));
  const d = new Date(/^\d{4}-\d\d-\d\d \d/.test(v) ? v.replace(' ', 'T') + 'Z' : v);
  return isNaN(d) ? null : d;
}
export function fmtTime(v) {
  const d = toDate(v);
  return d ? d.toLocaleString() : (v == null ? '' : String(v));
}
export function pad(n, w = 2) { return String(n).padStart(w, '0'); }
export function fmtClock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
export function plural(n, word, many) { return `${n} ${n === 1 ? word : many || word + 's'}`; }
export function cellText(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
