// The contract's consistency checks, mirroring the server (server/domain/form.c,
// form_checks) code for code, so the witness sees while typing exactly what the
// server will say. A form is the POST /api/v1/forms body; `rollDpt` is the
// TPS's DPT from the seed data (GET /api/v1/regions/{tps} -> "dpt").
// Pure functions, no DOM: also imported by the tests under node.

export const COUNT_MAX = 9999;
export const TPS_CAPACITY = 600; // Pilkada 2024: DPT + DPPh per TPS

// In the server's order; errors hold a form, warnings do not.
export const CHECKS = [
  ['valid_sum', 'error'], ['total_sum', 'error'], ['ballot_balance', 'error'],
  ['turnout_match', 'error'], ['voted_le_registered', 'error'], ['dpt_matches_roll', 'error'],
  ['tps_capacity', 'error'], ['ballot_reserve', 'error'], ['disability_le', 'error'],
  ['invalid_share', 'warning'], ['zero_total', 'warning'],
].map(([code, severity]) => ({ code, severity }));

const ROWS = ['dpt', 'dpph', 'dptb'];
const pair = (p) => p.m + p.f;
const sumRows = (rows) => ROWS.reduce((s, r) => s + pair(rows[r]), 0);

// Ballots printed for a TPS: DPT plus 2.5 % of it, rounded up.
export function ballotAllowance(rollDpt) {
  const dpt = Math.max(0, rollDpt);
  return dpt + Math.floor((dpt * 25 + 999) / 1000);
}

// Which fields each check reads (to point at them when it fails).
export const CHECK_FIELDS = {
  valid_sum: ['votes.*', 'valid'],
  total_sum: ['valid', 'invalid', 'total'],
  ballot_balance: ['ballots.received', 'ballots.returned', 'ballots.unused', 'ballots.used'],
  turnout_match: ['voted.*', 'ballots.used', 'total'],
  voted_le_registered: ['registered.dpt.*', 'registered.dpph.*', 'voted.dpt.*', 'voted.dpph.*'],
  dpt_matches_roll: ['registered.dpt.*'],
  tps_capacity: ['registered.dpt.*', 'registered.dpph.*'],
  ballot_reserve: ['ballots.received'],
  disability_le: ['disability.voted', 'disability.registered'],
  invalid_share: ['invalid'],
  zero_total: ['total'],
};

// Every check with its outcome: [{code, severity, ok}], in the server's order.
export function evaluate(form, rollDpt) {
  const { registered: reg, voted, ballots: b, disability: dis } = form;
  const votedAll = sumRows(voted);
  const voteSum = Object.values(form.votes).reduce((s, v) => s + v, 0);
  const dpt = pair(reg.dpt);
  const failed = {
    valid_sum: voteSum !== form.valid,
    total_sum: form.valid + form.invalid !== form.total,
    ballot_balance: b.used + b.returned + b.unused !== b.received,
    turnout_match: votedAll !== b.used || b.used !== form.total,
    voted_le_registered: ['dpt', 'dpph'].some((r) => voted[r].m > reg[r].m || voted[r].f > reg[r].f),
    dpt_matches_roll: dpt !== rollDpt,
    tps_capacity: dpt + pair(reg.dpph) > TPS_CAPACITY,
    ballot_reserve: b.received > ballotAllowance(rollDpt),
    disability_le: dis.voted > dis.registered || dis.voted > votedAll,
    invalid_share: form.total > 0 && form.invalid * 100 >= 3 * form.total,
    zero_total: form.total === 0,
  };
  return CHECKS.map((c) => ({ ...c, ok: !failed[c.code] }));
}

// The failed checks and raised warnings, as the server lists them in a receipt.
export function checks(form, rollDpt) {
  return evaluate(form, rollDpt).filter((c) => !c.ok).map(({ code, severity }) => ({ code, severity }));
}

// True when a failed check means the server will hold the form.
export const holds = (list) => list.some((c) => c.severity === 'error' && c.ok !== true);

// The structural rule for one count: [code] or [] ("missing", "not_integer",
// "out_of_range"), as the server's 422 details name them.
export function countProblem(value) {
  if (value === undefined || value === null || value === '') return 'missing';
  if (!Number.isInteger(value)) return 'not_integer';
  if (value < 0 || value > COUNT_MAX) return 'out_of_range';
  return null;
}

// Does `field` ("registered.dpt.m") match a pattern from CHECK_FIELDS?
export function fieldMatches(pattern, field) {
  return pattern.endsWith('*') ? field.startsWith(pattern.slice(0, -1)) : pattern === field;
}
