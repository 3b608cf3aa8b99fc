/**
 * Shared setup of the serve tests (test/serve-*.test.ts): a WebSocket "tab" without a browser, camera-like test
 * frames with their expected logits (the host's own pipeline run in-process: preprocess → simulator), and the
 * real browser (Debian's chromium-headless-shell driven by playwright-core) with its process group killed at
 * the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { preprocess, synthesizeCameraFrame, frameSeed, type CameraLikeOptions, type Frame } from '../src/camera/index.js';
import { createRng, imageAt, loadDigitSet, shuffledIndices, type DigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { encodeFrameMessage, type FrameSourceName, type ServerMessage, type WelcomeMessage } from '../src/serve/index.js';
import { ARTIFACT, CI, canRun } from './board-support.js';

export const CHROMIUM = process.env.EDGE_DIGITS_CHROMIUM ?? '/usr/lib/chromium/chromium-headless-shell';

/**
 * True when the browser tests can run: chromium-headless-shell, ffmpeg (writes the fake camera's clip), gcc (the
 * virtual board) and the artifact present. Missing ones skip loudly, except under CI=true, where the tests run
 * and fail.
 */
export function canRunBrowser(suite: string): boolean {
  const tools = canRun(suite, ['gcc']);
  // ffmpeg answers -version, not --version.
  const ffmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
  if (!ffmpeg) console.warn(`\n*** ${suite}: ffmpeg missing (Debian: apt-get install ffmpeg) — SKIPPING (these tests fail under CI=true) ***\n`);
  if (!existsSync(CHROMIUM)) console.warn(`\n*** ${suite}: ${CHROMIUM} missing (Debian: apt-get install chromium-headless-shell) — SKIPPING (these tests fail under CI=true) ***\n`);
  return (tools && ffmpeg && existsSync(CHROMIUM)) || CI;
}

// ---- a tab without a browser --------------------------------------------------------------------------------

export class TabClient {
  readonly messages: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  closed: { code: number; reason: string } | null = null;
  welcome!: WelcomeMessage;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the host sent a binary message; protocol v1 replies are text');
      const m = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<TabClient> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + 'ws', { headers });
    const tab = new TabClient(ws);
    const welcome = tab.next((m) => m.type === 'welcome', 10_000);
    // Awaited below, unless the connection itself is refused: then its timeout must not surface later.
    welcome.catch(() => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    tab.welcome = (await welcome) as WelcomeMessage;
    return tab;
  }

  /** The first message (already received or to come) matching `pred`. */
  next(pred: (m: ServerMessage) => boolean, timeoutMs = 10_000, from = 0): Promise<ServerMessage> {
    const seen = this.messages.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for a message; last: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  /** The reply (result, dropped or error) to frame `id`. */
  reply(id: number, timeoutMs = 10_000): Promise<ServerMessage> {
    return this.next((m) => (m.type === 'result' || m.type === 'dropped' || m.type === 'error') && m.id === id, timeoutMs);
  }

  sendGray(id: number, f: { gray: Uint8Array; width: number; height: number }, source: FrameSourceName = 'camera'): void {
    this.ws.send(encodeFrameMessage({ encoding: 'gray8', id, width: f.width, height: f.height, source, captureMs: 1 }, f.gray));
  }

  sendImage(id: number, bytes: Uint8Array, source: FrameSourceName = 'file'): void {
    this.ws.send(encodeFrameMessage({ encoding: 'image', id, width: 0, height: 0, source, captureMs: 0 }, bytes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((r) => this.ws.once('close', () => r()));
    this.ws.close();
    await done;
  }
}

// ---- test frames --------------------------------------------------------------------------------------------

export interface TestFrame extends Frame {
  readonly jpeg: Buffer;
  /** What the host must answer: the simulator on the host's own preprocessing of this frame (null: no digit). */
  readonly expected: { readonly digit: number; readonly logits: number[] } | null;
}

let digits: DigitSet | null = null;
let sim: Simulator | null = null;

export function mnistTest(): DigitSet {
  digits ??= loadDigitSet('mnist:test');
  return digits;
}

/** MNIST test digit `index` as a camera-like frame, with the answer the host's pipeline must give for it. */
export async function cameraFrame(index: number, seed = 7, options: Partial<CameraLikeOptions> = {}): Promise<TestFrame> {
  const set = mnistTest();
  const r = await synthesizeCameraFrame(imageAt(set, index), createRng(frameSeed(seed, index)), { width: 320, height: 240, ...options });
  const frame: Frame = { gray: r.gray, width: r.width, height: r.height, timestampMs: 0, index, label: set.labels[index], source: `mnist:test#${index}` };
  const pre = await preprocess(frame);
  sim ??= new Simulator(loadArtifact(ARTIFACT));
  const expected = pre.kind === 'digit' ? (() => { const c = sim.classify(pre.pixels); return { digit: c.digit, logits: Array.from(c.logits) }; })() : null;
  return { ...frame, jpeg: r.jpeg, expected };
}

// ---- the browser --------------------------------------------------------------------------------------------

export interface LaunchedBrowser {
  readonly browser: import('playwright-core').Browser;
  close(): Promise<void>;
}

/**
 * chromium-headless-shell with a fake camera playing `y4m` (absolute path), launched as its own process group
 * through playwright's browser server so the whole group can be killed whatever happens.
 */
export async function launchBrowser(y4m?: string): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core');
  const args = ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
  if (y4m) args.push(`--use-file-for-fake-video-capture=${y4m}`);
  const server = await chromium.launchServer({ executablePath: CHROMIUM, args, headless: true });
  const pid = server.process().pid;
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      if (pid) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      }
    },
  };
}

/** Encodes gray frames into a .y4m clip with ffmpeg (yuv420p; gray values arrive in the browser unchanged). */
export async function writeY4m(file: string, width: number, height: number, fps: number, frames: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0', '-pix_fmt', 'yuv420p', file], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  for await (const f of frames) {
    if (!child.stdin.write(f)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg exited with ${code} writing ${file}: ${stderr}`);
}

// ---- a fake camera clip ------------------------------------------------------------------------------------

/** One test digit per class from MNIST test images 5000–9999, in a shuffled order (seeded). */
export function pickDigits(seed: number): number[] {
  const set = mnistTest();
  const order = shuffledIndices(5000, createRng(seed));
  const chosen = new Map<number, number>();
  for (const k of order) {
    const i = 5000 + k;
    if (!chosen.has(set.labels[i])) chosen.set(set.labels[i], i);
    if (chosen.size === 10) break;
  }
  return [...chosen.values()];
}

export const FPS = 30;
export const HOLD_FRAMES = 30;
export const BLANK_FRAMES = 12;
export const WIDTH = 640;
export const HEIGHT = 480;

/*
 * Corner marks tell the test which slot of the clip is on screen: MARK_BITS blocks in the top-left corner, far
 * outside the region of interest (the centre square), so the host never sees them. Bits: slot (4), holding (1).
 */
export const MARK = { x: 6, y: 6, size: 10, step: 14 } as const;
export const MARK_BITS = 5;

function paintMarker(gray: Uint8Array, slot: number, holding: boolean): void {
  const code = (slot << 1) | (holding ? 1 : 0);
  for (let b = 0; b < MARK_BITS; b++) {
    const v = (code >> b) & 1 ? 0 : 255;
    for (let y = MARK.y; y < MARK.y + MARK.size; y++) gray.fill(v, y * WIDTH + MARK.x + b * MARK.step, y * WIDTH + MARK.x + b * MARK.step + MARK.size);
  }
}

/**
 * The clip: per digit a fixed scene (size, place, light, blur, noise drawn once) held for HOLD_FRAMES with a
 * hand's tremor (±4 px, ±2°) and fresh noise per frame, then BLANK_FRAMES of empty paper.
 */
export async function makeClip(file: string, indices: readonly number[]): Promise<void> {
  const set = mnistTest();
  async function* frames(): AsyncGenerator<Uint8Array> {
    for (const [slot, index] of indices.entries()) {
      const scene = createRng(1000 + slot);
      const between = (lo: number, hi: number): number => lo + (hi - lo) * scene();
      const h = between(0.32, 0.5);
      const cx = WIDTH / 2 + between(-50, 50);
      const cy = HEIGHT / 2 + between(-40, 40);
      const light = between(170, 225);
      const dark = between(20, 70);
      const blur = between(0.7, 1.6);
      const noise = between(2, 5);
      const vignette = between(0, 0.25);
      const base: Partial<CameraLikeOptions> = {
        width: WIDTH, height: HEIGHT, digitHeight: [h, h], maxRotationDeg: 2, perspective: 0.05, lightGradient: 0.1,
        lightLevel: [light - 2, light + 2], darkLevel: [dark, dark], vignette: [vignette, vignette], blurSigma: [blur, blur],
        noiseSigma: [noise - 0.5, noise + 0.5], jpegQuality: [70, 85], maxSpecks: 1,
      };
      for (let k = 0; k < HOLD_FRAMES + BLANK_FRAMES; k++) {
        const rng = createRng(slot * 1000 + k + 1);
        const jitter = { x: cx + (rng() * 2 - 1) * 4, y: cy + (rng() * 2 - 1) * 4 };
        const r = await synthesizeCameraFrame(k < HOLD_FRAMES ? imageAt(set, index) : null, rng, { ...base, centre: jitter });
        paintMarker(r.gray, slot, k < HOLD_FRAMES);
        yield r.gray;
      }
    }
  }
  await writeY4m(file, WIDTH, HEIGHT, FPS, frames());
}


/** The clip for these digits, made once and kept in the temporary folder (it only depends on the indices). */
export async function heldDigitClip(indices: readonly number[]): Promise<string> {
  const clip = path.join(os.tmpdir(), `edge-digits-serve-clip-v2-${indices.join('-')}.y4m`);
  if (!existsSync(clip)) {
    const part = `${clip}.${process.pid}.part.y4m`;
    await makeClip(part, indices);
    renameSync(part, clip);
  }
  return clip;
}
