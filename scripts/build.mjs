#!/usr/bin/env node
// Compiles every .ts file under src/ and firmware-gen/ to dist/ (same layout, one .js per .ts, no bundling), so
// the CLI starts without transpiling. Run by `npm run build`, `prepare` (npm install / npm ci) and before tests;
// bin/edge-digits.js also runs it when a source is newer than the last build. A new file is picked up with no
// edit here.
//
// `import.meta.url` (and import.meta.dirname/filename) in a built file is replaced by its source file's (computed
// relative to the built file, so the package can move), because code finds its run-time assets from it:
// firmware-gen's .c/.h files, web assets, package.json one folder up. The built code therefore reads them where they are in the tree.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE_DIRS = ['src', 'firmware-gen'];
export const DIST = path.join(ROOT, 'dist');
/** Written last by a build: its mtime is when the build finished. */
export const STAMP = path.join(DIST, '.build-stamp');

/** Every .ts source (not .d.ts), and the folders they sit in (a deleted file changes its folder's mtime). */
export function listSources() {
  const files = [];
  const dirs = [];
  const walk = (dir) => {
    dirs.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
  return { files, dirs };
}

/** True when dist/ is missing or older than some source file or folder. A few hundred stat calls: ~2 ms. */
export function isStale() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const { files, dirs } = listSources();
  return [...files, ...dirs].some((p) => statSync(p).mtimeMs > built);
}

function writeAtomic(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Builds dist/; several processes may build at once (each file is replaced atomically with the same text). */
export async function build({ quiet = false } = {}) {
  const t0 = performance.now();
  const { transform } = await import('esbuild'); // not at the top: bin/ imports this file for isStale() alone
  const { files } = listSources();
  const wanted = new Set();
  await Promise.all(files.map(async (file) => {
    const rel = path.relative(ROOT, file);
    const out = path.join(DIST, rel.replace(/\.ts$/, '.js'));
    wanted.add(out);
    const sourceFromOut = path.relative(path.dirname(out), file).split(path.sep).join('/');
    const source = readFileSync(file, 'utf8');
    const define = { 'import.meta.url': '__edgeDigitsSourceUrl' };
    let banner = `const __edgeDigitsSourceUrl = new URL(${JSON.stringify(sourceFromOut)}, import.meta.url).href;`;
    if (/import\.meta\.(dirname|filename)/.test(source)) {
      Object.assign(define, { 'import.meta.filename': '__edgeDigitsSourceFile', 'import.meta.dirname': '__edgeDigitsSourceDir' });
      banner = `import { fileURLToPath as __edgeDigitsFileURLToPath } from 'node:url';\n${banner}\n`
        + 'const __edgeDigitsSourceFile = __edgeDigitsFileURLToPath(__edgeDigitsSourceUrl);\n'
        + "const __edgeDigitsSourceDir = __edgeDigitsFileURLToPath(new URL('.', __edgeDigitsSourceUrl)).replace(/[\\\\/]$/, '');";
    }
    const r = await transform(source, {
      loader: 'ts', format: 'esm', platform: 'node', target: 'node20', sourcefile: rel,
      sourcemap: 'inline', sourcesContent: false, define, banner,
    });
    writeAtomic(out, r.code);
  }));
  // Built files whose source is gone would still be importable: remove them.
  const prune = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        prune(p);
        if (readdirSync(p).length === 0) rmSync(p, { recursive: true, force: true });
      } else if (e.name.endsWith('.js') && !wanted.has(p)) rmSync(p, { force: true });
    }
  };
  for (const d of SOURCE_DIRS) prune(path.join(DIST, d));
  writeAtomic(STAMP, `${new Date().toISOString()}\n`);
  if (!quiet) process.stderr.write(`build: ${files.length} files → ${path.relative(process.cwd(), DIST) || DIST} in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build().catch((e) => {
    process.stderr.write(`build: ${e.message}\n`);
    process.exitCode = 1;
  });
}
