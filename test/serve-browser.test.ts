/**
 * The page in a real browser: Debian's chromium-headless-shell, driven by playwright-core, with a fake camera
 * playing a clip of camera-like frames from the synthesizer; the host is `serve`'s own server and engine on
 * the virtual board. Answers are read from the DOM.
 *
 * - Fake camera: ten MNIST test digits (not the ones anything was tuned on), each held for a second with a hand's
 *   jitter and fresh sensor noise, blank paper in between; corner marks (outside the region of interest) tell
 *   the test which digit the video shows. Over one pass of the clip, the steady answer shown longest while each
 *   digit was in view must be right for ≥ 9 of 10.
 * - Drawing pad: the mouse draws strokes traced from ten MNIST test digits; ≥ 9 of 10 answers right.
 * - An image file chosen through the page's file input is answered too.
 * - A screenshot of the page is saved as an artifact (EDGE_DIGITS_ARTIFACTS, default <tmp>/edge-digits-artifacts);
 *   EDGE_DIGITS_UPDATE_DOCS=1 also writes docs/serve.png for the README.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeCameraFrame, type CameraLikeOptions } from '../src/camera/index.js';
import { createRng, imageAt, shuffledIndices } from '../src/data/index.js';
import { loadArtifact } from '../src/quantize/index.js';
import { openServeEngine, startServer, type ServeEngine, type ServeServer } from '../src/serve/index.js';
import { ARTIFACT } from './board-support.js';
import { canRunBrowser, launchBrowser, mnistTest, writeY4m, type LaunchedBrowser } from './serve-support.js';
import { strokesOf } from './serve-strokes.js';

const runnable = canRunBrowser('serve-browser');
const ARTIFACTS = process.env.EDGE_DIGITS_ARTIFACTS ?? path.join(os.tmpdir(), 'edge-digits-artifacts');

const FPS = 30;
const HOLD_FRAMES = 30;
const BLANK_FRAMES = 12;
const WIDTH = 640;
const HEIGHT = 480;

/** One test digit per class from MNIST test images 5000–9999, in a shuffled order (seeded). */
function pickDigits(seed: number): number[] {
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

/**
 * The clip: per digit a fixed scene (size, place, light, blur, noise drawn once) held for HOLD_FRAMES with a
 * hand's tremor (±4 px, ±2°) and fresh noise per frame, then BLANK_FRAMES of empty paper.
 */
async function makeClip(file: string, indices: readonly number[]): Promise<void> {
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

/*
 * Corner marks tell the test which slot of the clip is on screen: MARK_BITS blocks in the top-left corner, far
 * outside the region of interest (the centre square), so the host never sees them. Bits: slot (4), holding (1).
 */
const MARK = { x: 6, y: 6, size: 10, step: 14 } as const;
const MARK_BITS = 5;

function paintMarker(gray: Uint8Array, slot: number, holding: boolean): void {
  const code = (slot << 1) | (holding ? 1 : 0);
  for (let b = 0; b < MARK_BITS; b++) {
    const v = (code >> b) & 1 ? 0 : 255;
    for (let y = MARK.y; y < MARK.y + MARK.size; y++) gray.fill(v, y * WIDTH + MARK.x + b * MARK.step, y * WIDTH + MARK.x + b * MARK.step + MARK.size);
  }
}

/** An answer the page showed: for which frame, that frame's corner code (slot, holding) and the steady answer. */
interface Answered { readonly id: number; readonly code: number; readonly steady: string }

/**
 * Runs in the page before its own code (test instrumentation only): reads the corner code of every frame the
 * page sends (from the frame message itself), and logs each answer the page then shows with that frame's code.
 */
function watchClip({ mark, bits, width }: { mark: typeof MARK; bits: number; width: number }): void {
  const codes = new Map<number, number>();
  const answered: { id: number; code: number; steady: string }[] = [];
  (window as unknown as { answered: typeof answered }).answered = answered;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
    if (data instanceof Uint8Array && data[0] === 0x45 && data[1] === 0x44) {
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const id = dv.getUint32(4, true);
      const w = dv.getUint16(8, true);
      const s = w / width;
      let code = 0;
      for (let b = 0; b < bits; b++) {
        const x = Math.floor((mark.x + b * mark.step + mark.size / 2) * s);
        const y = Math.floor((mark.y + mark.size / 2) * s);
        if (data[24 + y * w + x] < 128) code |= 1 << b;
      }
      codes.set(id, code);
    }
    return send.call(this, data);
  };
  document.addEventListener('DOMContentLoaded', () => {
    const answer = document.getElementById('answer') as HTMLElement;
    const steady = document.getElementById('steady') as HTMLElement;
    new MutationObserver(() => {
      const id = Number(answer.dataset.frame);
      const code = codes.get(id);
      if (answer.dataset.source === 'camera' && code !== undefined) answered.push({ id, code, steady: steady.textContent ?? '' });
    }).observe(answer, { attributes: true, attributeFilter: ['data-frame'] });
  });
}

describe.runIf(runnable)('serve page in a real browser', () => {
  let engine: ServeEngine;
  let server: ServeServer;
  let browser: LaunchedBrowser;
  let clipDigits: number[];
  let labels: number[];

  beforeAll(async () => {
    const artifact = loadArtifact(ARTIFACT);
    clipDigits = pickDigits(2026);
    labels = clipDigits.map((i) => mnistTest().labels[i]);
    const clip = path.join(os.tmpdir(), `edge-digits-serve-clip-v2-${clipDigits.join('-')}.y4m`);
    if (!existsSync(clip)) await makeClip(`${clip}.part.y4m`, clipDigits).then(() => copyFileSync(`${clip}.part.y4m`, clip));
    engine = await openServeEngine({ kind: 'virtual' }, ARTIFACT, () => {});
    server = await startServer({
      engine, port: 0,
      model: { path: ARTIFACT, sha256: artifact.source.sha256, outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint },
    });
    browser = await launchBrowser(clip);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.close();
  });

  const pageErrors: string[] = [];
  afterEach(() => { expect(pageErrors.splice(0)).toEqual([]); });

  async function openPage(query = '', init?: (a: { mark: typeof MARK; bits: number; width: number }) => void): Promise<Page> {
    const context = await browser.browser.newContext({ permissions: ['camera'], viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    if (init) await page.addInitScript(init, { mark: MARK, bits: MARK_BITS, width: WIDTH });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}${query}`);
    await page.waitForSelector('#link.state-connected', { timeout: 15_000 });
    return page;
  }

  it('shows the right steady answer for ≥ 9 of 10 digits held up to the (fake) camera', async () => {
    const page = await openPage('', watchClip);
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.source === 'camera', undefined, { timeout: 15_000 });
    const loopMs = (clipDigits.length * (HOLD_FRAMES + BLANK_FRAMES) * 1000) / FPS;
    // One full pass of the clip, from the first slot change until that slot comes round again, in frame order.
    const t0 = performance.now();
    let pass: Answered[] | null = null;
    let seen: Answered[] = [];
    while (!pass && performance.now() - t0 < 3 * loopMs) {
      await page.waitForTimeout(500);
      seen = await page.evaluate(() => (window as unknown as { answered: Answered[] }).answered.slice());
      const slotOf = (x: Answered): number => x.code >> 1;
      const firstChange = seen.findIndex((x, k) => k > 0 && slotOf(x) !== slotOf(seen[k - 1]));
      if (firstChange < 0) continue;
      const first = slotOf(seen[firstChange]);
      const back = seen.findIndex((x, k) => k > firstChange && slotOf(x) === first && slotOf(seen[k - 1]) !== first);
      if (back > 0) pass = seen.slice(firstChange, back);
    }
    if (!pass) throw new Error(`the clip did not loop within ${3 * loopMs} ms: ${seen.length} answers`);
    // Each digit's answer: the steady answer the page showed most often with the frames that held it.
    const shown = Array.from({ length: 10 }, () => new Map<string, number>());
    for (const x of pass) {
      if (!(x.code & 1) || x.steady === '–') continue;
      const m = shown[x.code >> 1];
      m.set(x.steady, (m.get(x.steady) ?? 0) + 1);
    }
    const held = Array.from({ length: 10 }, (_, slot) => pass.filter((x) => x.code === ((slot << 1) | 1)).length);
    const answers = shown.map((m) => [...m.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '–');
    const right = answers.filter((a, slot) => a === String(labels[slot])).length;
    const stats = await page.evaluate(() => (window as unknown as { edgeDigits: { stats(): { answered: number; dropped: number; errors: number; recent: { endToEnd: number }[] } } }).edgeDigits.stats());
    const detail = shown.map((m, slot) => `${labels[slot]}→${answers[slot]} (${[...m.entries()].map(([d, n]) => `${d}×${n}`).join(' ')} of ${held[slot]})`).join(', ');
    const e2e = stats.recent.map((f) => f.endToEnd).sort((a, b) => a - b);
    console.log(`serve-browser camera: one pass, ${pass.length} answered frames; digit→steady answer (steady answers with the frames holding it): ${detail}; right ${right}/10; page answered ${stats.answered}, dropped ${stats.dropped}, errors ${stats.errors}, end-to-end median ${e2e[e2e.length >> 1]?.toFixed(0)} ms`);
    expect(right).toBeGreaterThanOrEqual(9);

    // The board panel says what it is and how it is doing.
    expect(await page.textContent('#board-state')).toBe('connected');
    expect(await page.textContent('#board-name')).toMatch(/virtual board/);
    expect(await page.textContent('#inference')).toMatch(/^\d+\.\d\d ms$/);
    expect(await page.textContent('#fps')).toMatch(/frames\/s/);
    expect(await page.textContent('#lat-total')).toMatch(/ms$/);

    // The screenshot for the README: wait for a digit in view with its answer.
    await page.waitForFunction(() => /\d/.test(document.getElementById('steady')?.textContent ?? ''), undefined, { timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'serve.png');
    writeFileSync(shot, await page.screenshot({ fullPage: true }));
    console.log(`serve-browser: screenshot ${shot}`);
    if (process.env.EDGE_DIGITS_UPDATE_DOCS === '1') copyFileSync(shot, path.join('docs', 'serve.png'));
    await page.context().close();
  }, 120_000);

  it('reads ≥ 9 of 10 digits drawn with the mouse on the pad (strokes traced from MNIST test digits)', async () => {
    const page = await openPage('?source=pad');
    await page.waitForSelector('#source-pad:not([hidden])');
    const pad = await page.$('#pad');
    const box = await pad?.boundingBox();
    if (!box) throw new Error('the pad has no box');
    const set = mnistTest();
    const indices = pickDigits(77);
    const results: { label: number; read: string }[] = [];
    for (const index of indices) {
      const strokes = strokesOf(imageAt(set, index));
      const scale = box.width / 28;
      for (const s of strokes) {
        await page.mouse.move(box.x + s[0].x * scale, box.y + s[0].y * scale);
        await page.mouse.down();
        for (const p of s.slice(1)) await page.mouse.move(box.x + p.x * scale, box.y + p.y * scale);
        await page.mouse.up();
      }
      // The answer to the finished drawing: the pad has nothing unsent and the answer is for its last frame.
      await page.waitForFunction(() => {
        const padEl = document.getElementById('pad') as HTMLElement;
        const answer = document.getElementById('answer') as HTMLElement;
        return padEl.dataset.dirty === 'false' && padEl.dataset.lastFrame !== '' && answer.dataset.frame === padEl.dataset.lastFrame;
      }, undefined, { timeout: 10_000 }).catch(async (e: unknown) => {
        const state = await page.evaluate(() => ({ pad: { ...(document.getElementById('pad') as HTMLElement).dataset }, answer: { ...(document.getElementById('answer') as HTMLElement).dataset } }));
        throw new Error(`no answer to the drawing of MNIST test #${index}: ${JSON.stringify(state)}`, { cause: e });
      });
      results.push({ label: set.labels[index], read: (await page.textContent('#digit')) ?? '' });
      await page.click('#pad-clear');
    }
    const right = results.filter((r) => r.read === String(r.label)).length;
    console.log(`serve-browser pad: ${results.map((r) => `${r.label}→${r.read}`).join(' ')}; right ${right}/10`);
    expect(right).toBeGreaterThanOrEqual(9);
    await page.context().close();
  }, 120_000);

  it('answers an image file chosen on the page', async () => {
    const page = await openPage('?source=file');
    const set = mnistTest();
    const index = pickDigits(5)[3];
    const r = await synthesizeCameraFrame(imageAt(set, index), createRng(99), { width: 480, height: 360 });
    const png = await sharp(r.gray, { raw: { width: 480, height: 360, channels: 1 } }).png().toBuffer();
    await page.setInputFiles('#file-input', { name: `digit.png`, mimeType: 'image/png', buffer: png });
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.source === 'file', undefined, { timeout: 10_000 });
    expect(await page.textContent('#digit')).toBe(String(set.labels[index]));
    await page.context().close();
  }, 60_000);
});
