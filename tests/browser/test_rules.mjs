// client-web/js/rules.js (the checks the witness sees while typing) against
// the server: hundreds of forms, consistent ones with random damage and the
// edge cases of each rule, are sent to the real server and the checks in its
// receipts must be exactly those rules.js computes. No browser needed: the
// module is plain JavaScript.
// Run: node --test tests/browser/test_rules.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { goodForm, SOURCE_DIR } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { counts } from './lib/witness.mjs';

const rules = await import(pathToFileURL(path.join(SOURCE_DIR, 'client-web', 'js', 'rules.js')));

const stack = new Stack();
let server, tokens;

before(async () => {
  ({ server, tokens } = await stack.start('rules', {
    tokens: [0, 1, 2, 3].map((i) => ['witness', '62', `rules ${i}`]), browser: false }));
});

after(() => stack.stop());

// A small deterministic generator, so a failure can be replayed.
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function setPath(obj, p, v) {
  const keys = p.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys[keys.length - 1]] = v;
}

async function tpsList() {
  const out = [];
  for (const desa of ['62.01.01.1011', '62.71.01.1001', '62.03.01.1006', '62.02.01.1009']) {
    for (const c of (await server.get(`/api/v1/regions/${desa}`)).children) {
      out.push({ code: c.code, dpt: (await server.get(`/api/v1/regions/${c.code}`)).dpt });
    }
  }
  return out;
}

let sent = 0;
async function compare(body, dpt, label) {
  const token = tokens[sent++ % tokens.length];
  const r = await server.request('POST', '/api/v1/forms', body, token);
  assert.equal(r.status, 201, `${label}: ${JSON.stringify(r.data)}`);
  const want = rules.checks(body, dpt);
  assert.deepEqual(r.data.checks, want, `${label}: server and rules.js disagree for ${JSON.stringify(body)}`);
  assert.equal(r.data.status === 'held', rules.holds(want), `${label}: held exactly when an error check fails`);
}

test('rules.js computes the same checks as the server on random forms', async () => {
  const list = await tpsList();
  const random = rng(20241127);
  const pick = (a) => a[Math.floor(random() * a.length)];
  for (let i = 0; i < 160; i++) {
    const t = pick(list);
    const dpt = random() < 0.1 ? t.dpt + Math.floor(random() * 5) - 2 : t.dpt;
    const body = goodForm(t.code, 'gub-62', Math.max(2, dpt), { 1: 1 + random() * 3, 2: 1 + random() * 3, 3: 1 + random() * 3, 4: random() });
    // Damage a few boxes by a little or a lot.
    const boxes = counts(body);
    const n = Math.floor(random() * 4);
    for (let k = 0; k < n; k++) {
      const [p, v] = pick(boxes);
      const nv = random() < 0.7 ? Math.max(0, v + Math.floor(random() * 7) - 3) : Math.floor(random() * 700);
      setPath(body, p, nv);
    }
    await compare(body, t.dpt, `random form ${i}`);
  }
});

test('rules.js agrees with the server at the edge of every rule', async () => {
  const list = await tpsList();
  const t = list.find((x) => x.dpt === 600) || list[0];
  const base = () => goodForm(t.code, 'gub-62', t.dpt, { 1: 1, 2: 1, 3: 1, 4: 1 });
  const allowance = rules.ballotAllowance(t.dpt);
  // label: [change, the codes it must raise (so each case really is at its edge)]
  const cases = {
    'all good': [(b) => b, []],
    'ballots at the allowance': [(b) => { b.ballots.received = allowance; b.ballots.unused = allowance - b.ballots.used - b.ballots.returned; }, []],
    'ballots one over the allowance': [(b) => { b.ballots.received = allowance + 1; b.ballots.unused = allowance + 1 - b.ballots.used - b.ballots.returned; }, ['ballot_reserve']],
    'DPT + DPPh at 600': [(b) => { b.registered.dpph.m = 600 - t.dpt; }, []],
    'DPT + DPPh at 601': [(b) => { b.registered.dpph.m = 601 - t.dpt; }, ['tps_capacity']],
    'invalid just under 3 %': [(b) => { b.invalid = Math.ceil(0.03 * b.total) - 1; b.valid = b.total - b.invalid; b.votes[4] = b.valid - b.votes[1] - b.votes[2] - b.votes[3]; }, []],
    'invalid exactly 3 %': [(b) => {
      const total = Math.floor(b.total / 100) * 100; // a multiple of 100: 3 % is a whole number
      const cut = b.total - total;
      b.voted.dptb.m = 0; b.voted.dpt.m -= cut - 1;
      b.total = total; b.ballots.used = total; b.ballots.unused += cut;
      b.invalid = (total * 3) / 100; b.valid = total - b.invalid; b.votes[4] = b.valid - b.votes[1] - b.votes[2] - b.votes[3];
    }, ['invalid_share']],
    'everything zero': [(b) => {
      for (const [p] of counts(b)) setPath(b, p, 0);
      b.registered.dpt.m = Math.floor(t.dpt / 2); b.registered.dpt.f = t.dpt - b.registered.dpt.m;
    }, ['zero_total']],
    'DPPh voters above DPPh registered (women)': [(b) => { b.voted.dpph.f = 1; b.voted.dptb.m = 0; }, ['voted_le_registered']],
    'DPTb voters are on no list: no check': [(b) => { b.voted.dptb.m = 1; }, []],
    'disability voted above registered': [(b) => { b.disability.voted = 3; }, ['disability_le']],
    'disability voted above all voters': [(b) => { b.disability.registered = 9999; b.disability.voted = b.total + 1; }, ['disability_le']],
    'votes one short of valid': [(b) => { b.votes[1] -= 1; }, ['valid_sum']],
    'turnout: ballots used differ': [(b) => { b.ballots.used += 1; b.ballots.unused -= 1; }, ['turnout_match']],
  };
  assert.equal(t.dpt, 600, 'a TPS with a full roll');
  for (const [label, [change, codes]] of Object.entries(cases)) {
    const b = base();
    change(b);
    assert.deepEqual(rules.checks(b, t.dpt).map((c) => c.code), codes, label);
    await compare(b, t.dpt, label);
  }
});
