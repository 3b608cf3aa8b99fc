/** What the tests that spawn the built CLI share: the launcher, a runner, and small IDX sets to feed it. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDigitSet } from '../src/data/index.js';

export const BIN = fileURLToPath(new URL('../bin/edge-digits.js', import.meta.url));
export const REPO = path.dirname(path.dirname(BIN));

export interface CliRun { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string; readonly ms: number }

export interface CliRunOptions {
  readonly cwd?: string;
  /** SIGKILL the CLI after this many ms if it still runs. */
  readonly killAfterMs?: number;
  /** SIGINT the CLI once it has printed its first stdout line (for commands that run until Ctrl-C). */
  readonly untilFirstLine?: boolean;
}

/** Runs `node bin/edge-digits.js …args` (EDGE_DIGITS_DEBUG unset: it adds stack traces to stderr). */
export function runCli(args: readonly string[], o: CliRunOptions = {}): Promise<CliRun> {
  const env = { ...process.env };
  delete env.EDGE_DIGITS_DEBUG;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (o.untilFirstLine && stdout.includes('\n')) child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = o.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), o.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** An IDX file: the 4-byte magic (unsigned bytes), the big-endian dimensions, the data. */
export function idxBytes(dims: readonly number[], data: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}

/** Writes <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte with the first `n` images of an MNIST split. */
export function writeMnistSubset(prefix: string, spec: 'mnist:train' | 'mnist:test', n: number): string {
  const set = loadDigitSet(spec, n);
  writeFileSync(`${prefix}-images-idx3-ubyte`, idxBytes([set.count, 28, 28], set.images));
  writeFileSync(`${prefix}-labels-idx1-ubyte`, idxBytes([set.count], set.labels));
  return prefix;
}
