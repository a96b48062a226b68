// What a browser test needs from the real server: a fresh database on the test
// cluster (SUARA_TEST_PG), migrated and seeded with the Kalimantan Tengah 2024
// data, tokens, and `suara serve` on a free port serving client-web/ — the same
// steps as tests/integration/harness.py, without Python.
//
// Environment: SUARA_TEST_PG (required: libpq conninfo of a cluster, without
// dbname, as a superuser), SUARA_BIN (default SOURCE/build/bin/suara),
// SUARA_SOURCE_DIR (default: three folders up from here), SUARA_TEST_KEEP=1
// keeps the databases and server logs.

import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.SUARA_SOURCE_DIR || path.resolve(here, '../../..');
export const SUARA_BIN = process.env.SUARA_BIN || path.join(SOURCE_DIR, 'build', 'bin', 'suara');
const KEEP = process.env.SUARA_TEST_KEEP === '1';
const SEED_DIR = path.join(SOURCE_DIR, 'schema', 'seed', 'kalteng-2024');

export const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'suara-browser-'));
process.on('exit', () => { if (!KEEP) fs.rmSync(scratch, { recursive: true, force: true }); });

function cluster() {
  const pg = (process.env.SUARA_TEST_PG || '').trim();
  if (!pg) throw new Error('SUARA_TEST_PG is not set: the browser tests need a PostgreSQL cluster (`bash dev.sh test` starts one)');
  if (!fs.existsSync(SUARA_BIN)) throw new Error(`SUARA_BIN ${SUARA_BIN} does not exist: build first`);
  return pg;
}

function psqlBinary() {
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && fs.existsSync(path.join(dir, 'psql'))) return path.join(dir, 'psql');
  }
  for (const v of ['17', '16', '15']) {
    const p = `/usr/lib/postgresql/${v}/bin/psql`;
    if (fs.existsSync(p)) return p;
  }
  throw new Error('psql not found (Debian package postgresql-client)');
}

export function psql(conninfo, sql) {
  return execFileSync(psqlBinary(), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql],
    { encoding: 'utf8' }).trim();
}

// Runs `suara ARGS...`; answers stdout, throws with stderr on failure.
export function suara(...args) {
  return execFileSync(SUARA_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Database {
  constructor(label) {
    const pg = cluster();
    this.name = `suara_b_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Date.now() % 100000}`;
    this.conninfo = `${pg} dbname=${this.name}`;
    this.admin = `${pg} dbname=postgres`;
    psql(this.admin, `CREATE DATABASE "${this.name}"`);
    suara('migrate', '--db', this.conninfo, '--schema', path.join(SOURCE_DIR, 'schema'));
    suara('seed', '--db', this.conninfo, SEED_DIR);
  }

  // A new token: its secret (line 1 of `suara token create`).
  token(role, scope, name = `browser test ${role}`) {
    return suara('token', 'create', '--db', this.conninfo, '--role', role, '--scope', scope, '--name', name).split('\n')[0].trim();
  }

  drop() {
    if (KEEP) return;
    psql(this.admin, `DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
  }
}

export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `suara serve` for a database; start() again after stop() reuses the port.
export class Server {
  constructor(db, port, args = []) {
    this.db = db;
    this.port = port;
    this.args = args; // extra `suara serve` options
    this.url = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.log = path.join(scratch, `serve-${db.name}-${port}.log`);
  }

  // A server on a free port; another port is tried if the one found was
  // taken in the meantime (tests run in parallel).
  static async launch(db, args = []) {
    for (let attempt = 1; ; attempt++) {
      const server = new Server(db, await freePort(), args);
      try {
        return await server.start();
      } catch (e) {
        if (attempt === 3 || !/cannot listen/.test(e.message)) throw e;
      }
    }
  }

  async start() {
    const fd = fs.openSync(this.log, 'a');
    this.proc = spawn(SUARA_BIN, ['serve', '--db', this.db.conninfo, '--listen', `127.0.0.1:${this.port}`,
      '--static', path.join(SOURCE_DIR, 'client-web'), ...this.args], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    this.exited = once(this.proc, 'exit');
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`suara serve exited with ${this.proc.exitCode}:\n${this.tail()}`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.status === 200) return this;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`suara serve did not become ready in 30 s:\n${this.tail()}`);
  }

  // SIGTERM and wait; answers the exit code (0 = clean shutdown).
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc?.exitCode ?? 0;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const [code, signal] = await this.exited;
    clearTimeout(timer);
    this.proc = null;
    return signal ? 128 : code;
  }

  tail() {
    try { return fs.readFileSync(this.log, 'utf8').split('\n').slice(-20).join('\n'); } catch { return ''; }
  }

  async request(method, p, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(this.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const how = this.proc ? `exit code ${this.proc.exitCode}, signal ${this.proc.signalCode}` : 'stopped';
      throw new Error(`${method} ${p}: ${e.message} (server ${how})\n${this.tail()}`);
    }
    const text = await res.text();
    let data = null;
    try { data = JSON.parse(text); } catch { data = text; }
    return { status: res.status, data };
  }

  async get(p) {
    const r = await this.request('GET', p);
    if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  }
}

// A consistent form for a TPS whose roll has `dpt` voters: every check
// passes. shares: weights per nomor urut, e.g. {1: 2, 2: 3, 3: 4, 4: 1}.
export function goodForm(tps, contest, dpt, shares, { turnout = 0.7, invalidShare = 0.02 } = {}) {
  const m = Math.floor(dpt / 2);
  const f = dpt - m;
  const vm = Math.floor(m * turnout);
  const vf = Math.floor(f * turnout);
  const total = vm + vf + 1; // one DPTb voter
  const invalid = Math.floor(total * invalidShare);
  const valid = total - invalid;
  const numbers = Object.keys(shares);
  const weight = numbers.reduce((s, n) => s + shares[n], 0);
  const votes = {};
  let left = valid;
  numbers.forEach((n, i) => {
    votes[n] = i === numbers.length - 1 ? left : Math.floor((valid * shares[n]) / weight);
    left -= votes[n];
  });
  const received = dpt + Math.floor((dpt * 25 + 999) / 1000);
  return {
    submission_id: crypto.randomUUID(), tps, contest,
    registered: { dpt: { m, f }, dpph: { m: 0, f: 0 }, dptb: { m: 0, f: 0 } },
    voted: { dpt: { m: vm, f: vf }, dpph: { m: 0, f: 0 }, dptb: { m: 1, f: 0 } },
    ballots: { received, returned: 1, unused: received - total - 1, used: total },
    disability: { registered: 2, voted: 1 },
    votes, valid, invalid, total,
  };
}

// Polls fn() until it answers a true value, which is returned.
export async function until(fn, { timeout = 15000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try { last = await fn(); } catch (e) { last = e; }
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(interval);
  }
}

// id-ID number formatting, as the page shows numbers: 1.234.567
export const idInt = (n) => new Intl.NumberFormat('id-ID').format(n);
