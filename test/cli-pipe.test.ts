/**
 * Piped --json output arrives whole: each command's stdout goes through a pipe into a reader that sleeps before
 * it reads anything (so the pipe fills and the CLI's writes go pending), and every line is counted. A CLI that
 * exits over pending writes (process.exit) loses the tail here.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/edge-digits.js', import.meta.url));
const REPO = path.dirname(path.dirname(BIN));
const ARTIFACT = path.join(REPO, 'models', 'default', 'model.int8.json');

interface PipeRun { readonly cliCode: number; readonly lines: string[]; readonly stderr: string }

/** `edge-digits <args> | { sleep <s>; cat; }` in bash; the CLI's own exit code from PIPESTATUS. */
function pipeThroughSlowReader(args: readonly string[], sleepSeconds: number): Promise<PipeRun> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const sh = spawn('bash', ['-c', `${quoted} | { sleep ${sleepSeconds}; cat; }; exit "\${PIPESTATUS[0]}"`], { cwd: REPO });
    let out = '';
    let stderr = '';
    sh.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    sh.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    sh.on('error', reject);
    sh.on('close', (code) => resolve({ cliCode: code ?? -1, lines: out.split('\n').filter(Boolean), stderr }));
  });
}

describe('--json output through a slow pipe', () => {
  it('predict: all 10,000 lines arrive, in order, each a whole JSON object', async () => {
    const r = await pipeThroughSlowReader(['predict', '--model', ARTIFACT, '--engine', 'sim', '--json'], 2);
    expect(r.cliCode, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(10_000);
    r.lines.forEach((l, i) => {
      const o = JSON.parse(l) as { index: number; logits: number[] };
      expect(o.index).toBe(i);
      expect(o.logits).toHaveLength(10);
    });
  }, 180_000);

  it('eval: the one JSON object arrives whole', async () => {
    const r = await pipeThroughSlowReader(['eval', '--model', ARTIFACT, '--engine', 'sim', '--limit', '2000', '--json'], 2);
    expect(r.cliCode, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const o = JSON.parse(r.lines[0]) as { n: number; accuracy: number };
    expect(o.n).toBe(2000);
    expect(o.accuracy).toBeGreaterThan(0.9);
  }, 180_000);

  it('run --json: every frame line and the summary as the last line arrive', async () => {
    const frames = 600;
    const r = await pipeThroughSlowReader(['run', '--engine', 'sim', '--model', ARTIFACT, '--source', 'mnist:test', '--limit', String(frames), '--json'], 2);
    expect(r.cliCode, r.stderr).toBe(0);
    expect(r.lines.reduce((n, l) => n + l.length + 1, 0), 'output larger than a pipe buffer, or the test proves nothing').toBeGreaterThan(65_536);
    expect(r.lines).toHaveLength(frames + 1);
    const parsed = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.slice(0, frames).map((o) => o.index)).toEqual(Array.from({ length: frames }, (_, i) => i));
    expect(parsed[frames]).toHaveProperty('summary');
  }, 180_000);
});
