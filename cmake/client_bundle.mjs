// node cmake/client_bundle.mjs CLIENT_DIR [--check]
//
// Bundles the web client's modules (client-web/js/) into client-web/dist/
// with esbuild (client-web's npm dependency, pinned by its lockfile), so a
// phone on a weak network fetches the page's code in one request instead of
// one request per module and one round trip per import level.
//
// Two tiers:
// - dist/app.js: app.js and everything it and the witness page import
//   statically, in one file (the witness page is the one with a load budget,
//   docs/web-client.md). It also exports the namespace of each of its
//   modules, for the second tier.
// - Each module the client loads on demand (the dashboard, the TPS page,
//   the review desk, the desk, search, the camera, ...): dist/NAME.js, one
//   file with the modules only it needs (a module two pages need, such as
//   chart.js, is in both: those hold no state that must be shared). An
//   import of a first-tier module becomes a read of dist/app.js's export,
//   so each first-tier module exists once at run time (the router, the live
//   feed and the outbox keep one state each).
//
// Files are written only when their bytes change (so their ETags, and the
// service worker's shell version, move only then), through a temporary file
// and a rename (a server reading dist/ never sees half a file); files of
// an earlier build that this one did not make are removed. With --check
// nothing is written: exit status 1 and the differing files when dist/ is
// not the bundle of the current sources (the browser tests check that what
// is served is what the sources say).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [clientDir, flag] = process.argv.slice(2);
if (!clientDir || (flag && flag !== '--check')) {
  console.error('usage: node client_bundle.mjs CLIENT_DIR [--check]');
  process.exit(2);
}
const CLIENT = path.resolve(clientDir);
const JS = path.join(CLIENT, 'js');
const DIST = path.join(CLIENT, 'dist');
const esbuild = createRequire(path.join(CLIENT, 'package.json'))('esbuild');
const COMMON = { bundle: true, format: 'esm', minify: true, target: 'es2022', write: false, logLevel: 'error', legalComments: 'none' };

// The static imports of one module ("import ... from './x.js'", "export
// ... from", "import './x.js'"), by file name under js/.
function staticImports(file) {
  const text = fs.readFileSync(path.join(JS, file), 'utf8');
  const out = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\bfrom\s+'\.\/([a-z0-9-]+\.js)'/g)) out.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'\.\/([a-z0-9-]+\.js)'/g)) out.push(m[1]);
  return out;
}

// The dynamic imports of one module (import('./x.js')).
function dynamicImports(file) {
  const text = fs.readFileSync(path.join(JS, file), 'utf8');
  return [...text.matchAll(/\bimport\('\.\/([a-z0-9-]+\.js)'\)/g)].map((m) => m[1]);
}

function closure(roots, next) {
  const seen = new Set();
  const walk = (f) => { if (!seen.has(f)) { seen.add(f); next(f).forEach(walk); } };
  roots.forEach(walk);
  return seen;
}

// The first tier: app.js and the witness page with their static imports.
const tier1 = closure(['app.js', 'witness.js'], staticImports);
// The second: every module reached by a dynamic import from the first
// tier or from the second tier's own modules.
function lazyModules() {
  const out = new Set();
  const visit = (f) => {
    for (const d of dynamicImports(f)) {
      if (tier1.has(d) || out.has(d)) continue;
      out.add(d);
      closure([d], (g) => staticImports(g).filter((x) => !tier1.has(x))).forEach(visit);
    }
  };
  tier1.forEach(visit);
  return [...out].sort();
}
const lazy = lazyModules();
const nsName = (file) => `m_${file.replace(/\.js$/, '').replace(/-/g, '_')}`;

// In either tier, a dynamic import of a second-tier module stays a request
// for dist/NAME.js.
const lazyExternal = {
  name: 'lazy-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z0-9-]+\.js$/ }, (args) => {
      const file = args.path.slice(2);
      if (args.kind === 'dynamic-import' && lazy.includes(file)) return { path: `./${file}`, external: true };
      return undefined;
    });
  },
};

async function buildTier1() {
  const lines = ["import './js/app.js';"];
  for (const f of [...tier1].sort()) lines.push(`import * as ${nsName(f)} from './js/${f}';`);
  lines.push(`export { ${[...tier1].sort().map(nsName).join(', ')} };`);
  return esbuild.build({
    ...COMMON,
    stdin: { contents: lines.join('\n'), resolveDir: CLIENT, sourcefile: 'app-entry.js', loader: 'js' },
    outfile: path.join(DIST, 'app.js'),
    plugins: [lazyExternal],
  });
}

// The export names of each first-tier module, for the second tier's
// re-exports (esbuild reports them per entry point).
async function tier1Exports() {
  const res = await esbuild.build({
    entryPoints: [...tier1].map((f) => path.join(JS, f)), bundle: false, write: false, outdir: DIST,
    metafile: true, format: 'esm', logLevel: 'error',
  });
  const out = new Map();
  for (const meta of Object.values(res.metafile.outputs)) {
    if (meta.entryPoint) out.set(path.basename(meta.entryPoint), meta.exports);
  }
  return out;
}

// A first-tier module seen from the second tier: its exports, read from
// dist/app.js (functions and constants: no first-tier module exports a
// binding that is reassigned later).
function tier1Proxy(exports) {
  return {
    name: 'tier1-proxy',
    setup(build) {
      build.onResolve({ filter: /^\.\/[a-z0-9-]+\.js$/ }, (args) => {
        const file = args.path.slice(2);
        if (args.kind === 'dynamic-import' && lazy.includes(file)) return { path: `./${file}`, external: true };
        if (tier1.has(file)) return { path: file, namespace: 'tier1' };
        return undefined;
      });
      build.onResolve({ filter: /^suara-app$/ }, () => ({ path: './app.js', external: true }));
      build.onLoad({ filter: /.*/, namespace: 'tier1' }, (args) => {
        const names = exports.get(args.path) || [];
        const ns = nsName(args.path);
        const body = names.map((n) => (n === 'default' ? `export default ${ns}.default;` : `export const ${n} = ${ns}.${n};`));
        return { contents: `import { ${ns} } from 'suara-app';\n${body.join('\n')}\n`, loader: 'js' };
      });
    },
  };
}

async function buildTier2() {
  if (!lazy.length) return { outputFiles: [] };
  return esbuild.build({
    ...COMMON,
    entryPoints: lazy.map((f) => path.join(JS, f)),
    outdir: DIST, entryNames: '[name]',
    plugins: [tier1Proxy(await tier1Exports())],
  });
}

const outputs = new Map();
for (const res of [await buildTier1(), await buildTier2()]) {
  for (const f of res.outputFiles) outputs.set(path.relative(DIST, f.path), Buffer.from(f.contents));
}
const existing = fs.existsSync(DIST) ? fs.readdirSync(DIST).filter((f) => f.endsWith('.js')) : [];
const changed = [...outputs].filter(([name, bytes]) => {
  const file = path.join(DIST, name);
  return !fs.existsSync(file) || !fs.readFileSync(file).equals(bytes);
}).map(([name]) => name);
const stale = existing.filter((f) => !outputs.has(f));

if (flag === '--check') {
  if (changed.length || stale.length) {
    console.error(`dist/ is not the bundle of the current sources: differs ${changed.join(' ') || '-'}; stale ${stale.join(' ') || '-'}`);
    process.exit(1);
  }
  process.exit(0);
}
fs.mkdirSync(DIST, { recursive: true });
for (const name of changed) {
  const file = path.join(DIST, name);
  fs.writeFileSync(`${file}.tmp`, outputs.get(name));
  fs.renameSync(`${file}.tmp`, file);
}
for (const f of stale) {
  fs.rmSync(path.join(DIST, f), { force: true });
  fs.rmSync(path.join(DIST, `${f}.gz`), { force: true });
}
