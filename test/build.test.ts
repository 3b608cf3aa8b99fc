/**
 * scripts/build.mjs on a scratch tree: a new source file is built with no edit anywhere, a deleted one is pruned,
 * staleness is seen, and import.meta.url in built code still names the source (so run-time assets are found).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'edge-digits-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function node(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' }).trim();
}

describe('scripts/build.mjs', () => {
  mkdirSync(path.join(root, 'scripts'));
  copyFileSync(path.join(REPO, 'scripts', 'build.mjs'), path.join(root, 'scripts', 'build.mjs'));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  writeFileSync(path.join(root, 'package.json'), '{"name":"scratch","type":"module"}\n');
  mkdirSync(path.join(root, 'src', 'room'), { recursive: true });
  writeFileSync(path.join(root, 'src', 'room', 'asset.txt'), 'beside the source\n');
  const build = `import { build, isStale } from './scripts/build.mjs';`;

  it('builds every .ts file, and the built code finds assets next to its source', () => {
    writeFileSync(path.join(root, 'src', 'room', 'reader.ts'), "import { readFileSync } from 'node:fs';\nexport const text: string = readFileSync(new URL('./asset.txt', import.meta.url), 'utf8');\n");
    expect(node(`${build} console.log(isStale()); await build({ quiet: true }); console.log(isStale());`)).toBe('true\nfalse');
    expect(node(`const m = await import('./dist/src/room/reader.js'); console.log(m.text.trim());`)).toBe('beside the source');
  });

  it('a new file makes the build stale and is built; a deleted one is pruned', () => {
    const added = path.join(root, 'src', 'room', 'added.ts');
    writeFileSync(added, 'export const n: number = 42;\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(added, later, later);
    utimesSync(path.dirname(added), later, later);
    expect(node(`${build} console.log(isStale()); await build({ quiet: true });`)).toBe('true');
    expect(node(`const m = await import('./dist/src/room/added.js'); console.log(m.n);`)).toBe('42');
    rmSync(added);
    node(`${build} await build({ quiet: true });`);
    expect(existsSync(path.join(root, 'dist', 'src', 'room', 'added.js'))).toBe(false);
    expect(existsSync(path.join(root, 'dist', 'src', 'room', 'reader.js'))).toBe(true);
  });
});
