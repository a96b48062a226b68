// What every browser test sets up in before() and takes down in after(): a
// fresh seeded database, its tokens, `suara serve` on a free port, and (unless
// browser: false) a headless browser — and the teardown that closes them in
// reverse order and asserts that the server shut down cleanly.
//
//   const stack = new Stack();
//   before(async () => {
//     ({ server, browser, tokens: { witness } } = await stack.start('outbox', {
//       tokens: { witness: ['witness', '62.71', 'saksi Palangka Raya'] }, viewport: PHONE }));
//   });
//   after(() => stack.stop());

import assert from 'node:assert/strict';
import { Database, Server } from './suara.mjs';
import { launch } from './browser.mjs';

export class Stack {
  // Fills db, tokens, server, browser one after the other, so that stop()
  // still takes down whatever exists when start() throws half-way.
  // tokens: name -> [role, scope, token name?] (an object, or an array for
  // numbered ones; answered in the same shape), created before the server
  // starts; serveArgs: extra `suara serve` options; viewport: see launch().
  async start(label, { tokens = {}, serveArgs = [], viewport, browser = true } = {}) {
    this.db = new Database(label);
    this.tokens = Array.isArray(tokens) ? [] : {};
    for (const [key, [role, scope, name]] of Object.entries(tokens)) this.tokens[key] = this.db.token(role, scope, name);
    this.server = await Server.launch(this.db, serveArgs);
    if (browser) this.browser = await launch({ viewport });
    return this;
  }

  // Closes the browser, stops the server (SIGTERM), drops the database, then
  // asserts the server's exit code was 0.
  async stop() {
    await this.browser?.close();
    const code = await this.server?.stop();
    this.db?.drop();
    assert.equal(code, 0, 'suara serve shut down cleanly');
  }
}
