// Small labels for statuses and checks.
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
