// Accessibility: axe-core (from the npm registry, client-web/package.json)
// finds no violation on any page, at phone and at desktop width: the
// dashboard at the province (with the tile map) and a desa (TPS rows) and on
// the big screen, a TPS, the monitoring desk (Pemantauan) at the province, at
// a kabupaten/kota and on its big screen, a worklist, the witness entry
// (before and after a token), the review desk with a form open, the admin
// page, and a page that does not exist. A new page belongs in PAGES (or below it). Every rule
// axe runs by default (WCAG 2.x A and AA and its best practices) counts.
// Run: node --test tests/browser/test_a11y.mjs (needs SUARA_TEST_PG).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { goodForm, SOURCE_DIR } from './lib/suara.mjs';
import { Stack } from './lib/stack.mjs';
import { launch, PHONE, DESKTOP } from './lib/browser.mjs';

const require = createRequire(path.join(SOURCE_DIR, 'client-web', 'package.json'));
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const stack = new Stack();
let server, witness, reviewer, admin, held;
const T = '62.71.01.1001.001';

before(async () => {
  ({ server, tokens: { witness, reviewer, admin } } = await stack.start('a11y', {
    browser: false,
    tokens: { witness: ['witness', '62.71', 'saksi'], reviewer: ['reviewer', '62', 'pemeriksa'], admin: ['admin', '62', 'admin'] } }));
  const dpt = (await server.get(`/api/v1/regions/${T}`)).dpt;
  const form = goodForm(T, 'gub-62', dpt, { 1: 2, 2: 3, 3: 4, 4: 1 });
  assert.equal((await server.request('POST', '/api/v1/forms', form, witness)).status, 201);
  const bad = goodForm(`${T.slice(0, -1)}2`, 'gub-62', (await server.get(`/api/v1/regions/${T.slice(0, -1)}2`)).dpt, { 1: 1, 2: 1, 3: 1, 4: 1 });
  bad.valid += 1;
  held = (await server.request('POST', '/api/v1/forms', bad, witness)).data;
  assert.equal(held.status, 'held');
});

after(() => stack.stop());

// axe's violations on the page as it is now: [{id, nodes: [selector...]}].
async function violations(page) {
  await page.evaluate(AXE); // through the debugger, so the page's CSP does not apply
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

// [name, url, what shows once the page is drawn]. A big screen (?tv=1)
// stays on for the visit (the dashboard and the desk read it): a later
// dashboard or desk page ends it with ?tv=0.
const PAGES = [
  ['dashboard, province', '/', 'li.cand'],
  ['dashboard, desa', `/c/gub-62/${T.slice(0, 13)}/`, 'table.tally tbody tr'],
  ['big screen', '/c/gub-62/62/?tv=1', 'li.ov-card'],
  ['TPS', `/tps/${T}/`, 'section[data-contest="gub-62"]'],
  ['monitoring desk, province', '/pemantauan?tv=0', 'table.counters tbody tr[data-region="62.71"]'],
  ['monitoring desk, kabupaten/kota', '/pemantauan/gub-62/?r=62.71', 'table.counters tbody tr'],
  ['monitoring desk, big screen', '/pemantauan/gub-62/?tv=1', 'table.counters tbody tr[data-region="62.71"]'],
  ['worklist', '/pemantauan/gub-62/62.71/held/?tv=0', 'table.worklist-table tbody tr'],
  ['page not found', '/tidak-ada', 'main .notice, main h1'],
];

for (const [label, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`no axe violations on any page at ${label} width (${viewport.width}px)`, async () => {
    const browser = await launch({ viewport });
    try {
      const page = await browser.page();
      const found = {};
      for (const [name, url, ready] of PAGES) {
        await page.goto(`${server.url}${url}`);
        await page.locator(ready).first().waitFor();
        await page.waitForTimeout(300); // the first repaint after the snapshot
        const v = await violations(page);
        if (v.length) found[name] = v;
      }
      // Witness entry: the token card, then the form of a TPS.
      await page.goto(`${server.url}/saksi`);
      await page.locator('#token-witness').waitFor();
      let v = await violations(page);
      if (v.length) found['witness, no token'] = v;
      await page.locator('#token-witness').fill(witness);
      await page.getByRole('button', { name: 'Simpan token' }).click();
      await page.locator('main fieldset, main select').first().waitFor();
      await page.waitForTimeout(500);
      v = await violations(page);
      if (v.length) found['witness, with token'] = v;

      // The review desk with a held form open.
      await page.goto(`${server.url}/review?form=${held.form_id}`);
      await page.locator('#token-reviewer').fill(reviewer);
      await page.getByRole('button', { name: 'Simpan token' }).click();
      await page.locator('#detail table.form-table').waitFor();
      v = await violations(page);
      if (v.length) found['review desk, form open'] = v;

      // The admin page with an admin's token: the final regions, the
      // finalisation form and the audit trail (the tokens made above), then
      // with a TPS's form opened for an amendment.
      await page.goto(`${server.url}/admin`);
      await page.locator('#token-admin').fill(admin);
      await page.getByRole('button', { name: 'Simpan token' }).click();
      await page.locator('table.audit tbody tr').first().waitFor();
      await page.locator('.final-list li').first().waitFor();
      v = await violations(page);
      if (v.length) found.admin = v;
      await page.locator('#amend-tps').fill(T);
      await page.getByRole('button', { name: 'Buka formulir' }).click();
      await page.locator('.amend-form form.entry').waitFor();
      v = await violations(page);
      if (v.length) found['admin, amendment form'] = v;

      // The witnesses' cards page (the admin's token is saved): the region chooser.
      await page.goto(`${server.url}/admin/kartu`);
      await page.locator('#cards-kab option:nth-child(2)').waitFor({ state: 'attached' });
      v = await violations(page);
      if (v.length) found.cards = v;

      assert.deepEqual(found, {}, JSON.stringify(found, null, 1));
      assert.deepEqual(page.errors, []);
    } finally {
      await browser.close();
    }
  });
}
