// Driving the witness page (/saksi) the way a witness does: token, TPS,
// contest, then every box of the form.

const ROWS = ['dpt', 'dpph', 'dptb'];

// [[path, value]] for every count of a form body, as the page names its inputs.
export function counts(body) {
  const out = [];
  for (const base of ['registered', 'voted']) {
    for (const r of ROWS) for (const s of ['m', 'f']) out.push([`${base}.${r}.${s}`, body[base][r][s]]);
  }
  for (const k of ['received', 'returned', 'unused', 'used']) out.push([`ballots.${k}`, body.ballots[k]]);
  for (const k of ['registered', 'voted']) out.push([`disability.${k}`, body.disability[k]]);
  for (const [n, v] of Object.entries(body.votes)) out.push([`votes.${n}`, v]);
  for (const k of ['valid', 'invalid', 'total']) out.push([k, body[k]]);
  return out;
}

export const inputId = (path) => `#f-${path.replace(/\./g, '-')}`;

// Opens /saksi, saves the token if the page asks for one, picks the TPS by
// typing its code and the contest by its radio button.
export async function openEntry(page, url, { token, tps, contest }) {
  await page.goto(`${url}/saksi`);
  await page.locator('#tps-title').waitFor(); // the page has rendered all its cards
  const tokenInput = page.locator('#token-witness');
  if (await tokenInput.count()) {
    await tokenInput.fill(token);
    await page.getByRole('button', { name: 'Simpan token' }).click();
    await page.locator('.token-card code').waitFor(); // checked with the server, then saved
  }
  // A one-TPS token has its TPS chosen already, with nothing to change.
  const chosen = page.locator(`p.chosen:has-text("${tps}")`);
  await page.locator('#tps-code, p.chosen').first().waitFor();
  if (!(await chosen.count()) || (await page.getByRole('button', { name: 'Ganti TPS' }).count())) {
    const change = page.getByRole('button', { name: 'Ganti TPS' });
    if (await change.count()) await change.click(); // the TPS chosen last time
    await page.locator('#tps-code').fill(tps);
    await page.getByRole('button', { name: 'Gunakan' }).click();
  }
  await chosen.waitFor();
  await page.locator(`input[name=contest][value="${contest}"]`).check();
  await page.locator('form.entry').waitFor();
}

export async function fillForm(page, body) {
  for (const [path, value] of counts(body)) await page.locator(inputId(path)).fill(String(value));
}

// {code: state} of the live check list ("ok", "fail", "warn", "pending").
export async function checkStates(page) {
  return page.locator('ul.checklist li').evaluateAll((lis) => Object.fromEntries(lis.map((li) => [li.dataset.check, li.dataset.state])));
}

// The outbox's form entries as the page stored them (IndexedDB "suara",
// store "forms"), oldest first.
export async function outboxEntries(page) {
  // Opening a database that does not exist would create it empty, without
  // the page's stores: look first.
  return page.evaluate(async () => (await indexedDB.databases()).some((d) => d.name === 'suara') && new Promise((resolve, reject) => {
    const req = indexedDB.open('suara');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const all = db.transaction('forms').objectStore('forms').getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1)));
      };
      all.onerror = () => reject(all.error);
    };
  })) || [];
}
