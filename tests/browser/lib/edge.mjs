// A real nchan edge for the browser tests, as tests/integration/edges.py
// makes them for the Python ones: a redis-server and an nginx running the
// shipped docs/deploy/nchan-edge.conf with only its two ports changed, each
// in a folder of its own under the scratch folder (Debian: redis-server,
// nginx-light, libnginx-mod-nchan).
//
//   const edge = await Edge.start();   // edge.port, edge.publishUrl, edge.liveUrl
//   await edge.kill(); await edge.restart();   // the same port again
//   await edge.stop();

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SOURCE_DIR, scratch, freePort } from './suara.mjs';

const NGINX = '/usr/sbin/nginx';
const REDIS = '/usr/bin/redis-server';
const NCHAN = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const EDGE_CONF = path.join(SOURCE_DIR, 'docs', 'deploy', 'nchan-edge.conf');

function need(file, pkg) {
  if (!fs.existsSync(file)) throw new Error(`${file} not found (Debian package ${pkg})`);
}

async function listening(port, what, timeout = 15000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeout} ms`);
}

// An nginx in the foreground whose files all live in dir; as root its
// workers run as root too, since the scratch folder is closed to nobody.
function nginxConf(dir) {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${dir}/${k};`).join('\n');
  return `load_module ${NCHAN};
${os.userInfo().uid === 0 ? 'user root root;' : ''}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
${temp}
    include ${dir}/edge.conf;
}
`;
}

export class Edge {
  static async start() {
    need(REDIS, 'redis-server'); need(NGINX, 'nginx-light'); need(NCHAN, 'libnginx-mod-nchan');
    const edge = new Edge();
    edge.redisPort = await freePort();
    edge.port = await freePort();
    edge.dir = fs.mkdtempSync(path.join(scratch, 'edge-'));
    fs.mkdirSync(path.join(edge.dir, 'redis'));
    edge.redis = spawn(REDIS, ['--port', String(edge.redisPort), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', path.join(edge.dir, 'redis')], { stdio: 'ignore' });
    await listening(edge.redisPort, 'redis-server');
    const conf = fs.readFileSync(EDGE_CONF, 'utf8')
      .replace('listen 127.0.0.1:8081;', `listen 127.0.0.1:${edge.port};`)
      .replace('redis://127.0.0.1:6379', `redis://127.0.0.1:${edge.redisPort}`);
    fs.writeFileSync(path.join(edge.dir, 'edge.conf'), conf);
    fs.writeFileSync(path.join(edge.dir, 'nginx.conf'), nginxConf(edge.dir));
    await edge.restart();
    return edge;
  }

  get publishUrl() { return `http://127.0.0.1:${this.port}/pub`; }
  get liveUrl() { return `http://127.0.0.1:${this.port}/live`; }

  // nginx in a process group of its own, so that kill() reaches its workers too.
  async restart() {
    this.nginx = spawn(NGINX, ['-p', this.dir, '-c', path.join(this.dir, 'nginx.conf')], { stdio: 'ignore', detached: true });
    this.nginxExit = once(this.nginx, 'exit');
    await listening(this.port, 'nginx');
  }

  // SIGKILL to nginx's master and workers, as a machine that dies.
  async kill() {
    if (!this.nginx || this.nginx.exitCode !== null || this.nginx.signalCode) return;
    process.kill(-this.nginx.pid, 'SIGKILL');
    await this.nginxExit;
  }

  async stop() {
    await this.kill();
    if (this.redis && this.redis.exitCode === null) {
      const exited = once(this.redis, 'exit');
      this.redis.kill('SIGTERM');
      await exited;
    }
  }
}
