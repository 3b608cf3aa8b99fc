/** firmware-gen/cached-build.ts: the one content-hashed build cache behind the host engine, virtual board and QEMU images. */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBuild, runTool } from '../firmware-gen/cached-build.js';
import { canRun, tempDir } from './board-support.js';

const cacheDir = tempDir('edge-digits-cached-build-');
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const program = (exitCode: number) => [{ path: 'main.c', content: `int main(void) { return ${exitCode}; }\n` }];
const build = (files: ReturnType<typeof program>, args: readonly string[] = ['-std=c99', '-Wall', '-Werror']) =>
  cachedBuild({ compiler: 'gcc', args: [...args, 'main.c', '-o', 'prog'], files, output: 'prog', cacheName: 'test', cacheDir, what: 'building the test program' });

describe.runIf(canRun('cached-build', ['gcc']))('cachedBuild', () => {
  it('builds once per distinct input and reuses the published binary', () => {
    const first = build(program(3));
    expect(spawnSync(first.path).status).toBe(3);
    const mtime = statSync(first.path).mtimeMs;
    const again = build(program(3));
    expect(again).toEqual(first);
    expect(statSync(again.path).mtimeMs).toBe(mtime);
  });

  it('gives a new key when a source byte or an argument changes', () => {
    const base = build(program(4));
    const otherSource = build(program(5));
    const otherFlags = build(program(4), ['-std=c99', '-Wall', '-Werror', '-O2']);
    expect(new Set([base.key, otherSource.key, otherFlags.key]).size).toBe(3);
    expect(spawnSync(otherSource.path).status).toBe(5);
  });

  it('reports a failing compile with the command and the compiler\'s words, and leaves no half-built folder', () => {
    const before = readdirSync(cacheDir).sort();
    expect(() => build([{ path: 'main.c', content: 'int main(void) { return undeclared; }\n' }])).toThrow(/building the test program failed: gcc .*main\.c[\s\S]*undeclared/);
    expect(readdirSync(cacheDir).sort()).toEqual(before);
  });
});

describe('runTool', () => {
  it('names the Debian packages of a missing cross compiler', () => {
    expect(() => runTool('/nonexistent/arm-none-eabi-gcc', ['--version'], 'asking the cross compiler its version'))
      .toThrow(/arm-none-eabi-gcc is not installed \(Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi\)/);
  });

  it('returns stdout of a successful run', () => {
    expect(runTool(process.execPath, ['-e', 'process.stdout.write("ok")'], 'running node')).toBe('ok');
  });
});
