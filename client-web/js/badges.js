// Small labels for statuses and checks, and the marks of an admin's
// amendment (a form counted after the pleno, or by a court's ruling).
import { h } from './dom.js';
import { STATUS, checkName, checkRule } from './labels.js';

export const statusBadge = (status) => h(`span.badge.s-${status}`, { 'data-status': status, text: STATUS[status] || status });

// A list of checks [{code, severity}] as badges; "Semua pemeriksaan lolos" when empty.
export function checkBadges(checks) {
  if (!checks.length) return h('span.badge.ok', { text: 'Semua pemeriksaan lolos' });
  return h('ul.checks-inline', {}, checks.map((c) => h(`li.badge.${c.severity === 'warning' ? 'warn' : 'bad'}`, {
    'data-check': c.code, title: checkRule(c.code),
    text: `${c.severity === 'warning' ? 'Peringatan' : 'Gagal'}: ${checkName(c.code)}`,
  })));
}

// "amandemen" beside a form that is an admin's amendment, or null.
export const amendmentBadge = (form) => (form?.amendment ? h('span.badge.amendment', { text: 'amandemen' }) : null);

// The amendment's reason, as the admin gave it, or null.
export const amendmentNote = (form) => (form?.amendment
  ? h('p.amendment', {}, h('strong', { text: 'Amandemen admin' }), ` — “${form.amendment.reason}”`)
  : null);
