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
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeCameraFrame } from '../src/camera/index.js';
import { createRng, imageAt } from '../src/data/index.js';
import { loadArtifact } from '../src/quantize/index.js';
import { openServeEngine, startServer, type ServeEngine, type ServeServer } from '../src/serve/index.js';
import { ARTIFACT } from './board-support.js';
import {
  BLANK_FRAMES, FPS, HOLD_FRAMES, MARK, MARK_BITS, WIDTH,
  canRunBrowser, heldDigitClip, launchBrowser, mnistTest, pickDigits, type LaunchedBrowser,
} from './serve-support.js';
import { strokesOf } from './serve-strokes.js';

const runnable = canRunBrowser('serve-browser');
const ARTIFACTS = process.env.EDGE_DIGITS_ARTIFACTS ?? path.join(os.tmpdir(), 'edge-digits-artifacts');

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
    const clip = await heldDigitClip(clipDigits);
    engine = await openServeEngine({ kind: 'virtual' }, ARTIFACT, () => {});
    server = await startServer({
      engine, port: 0,
      model: { path: ARTIFACT, sourceSha256: artifact.source.sha256, outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint },
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

    // The screenshot for the README: the digit answered is the one in view (the video's corner code says which
    // digit it shows), both before and after the shot was taken.
    const inViewAndAnswered = (): Promise<boolean> => page.evaluate(({ mark, bits, width, labels: ls }) => {
      const video = document.getElementById('video') as HTMLVideoElement;
      const c = document.createElement('canvas');
      c.width = video.videoWidth;
      c.height = video.videoHeight;
      const ctx = c.getContext('2d') as CanvasRenderingContext2D;
      ctx.drawImage(video, 0, 0);
      const s = c.width / width;
      let code = 0;
      for (let b = 0; b < bits; b++) {
        if (ctx.getImageData(Math.floor((mark.x + b * mark.step + mark.size / 2) * s), Math.floor((mark.y + mark.size / 2) * s), 1, 1).data[0] < 128) code |= 1 << b;
      }
      const steady = document.getElementById('steady')?.textContent ?? '';
      return (code & 1) === 1 && steady === String(ls[code >> 1]) && document.getElementById('digit')?.textContent === steady
        && /^[45] of/.test(document.getElementById('steady-votes')?.textContent ?? '');
    }, { mark: MARK, bits: MARK_BITS, width: WIDTH, labels });
    let png: Buffer | null = null;
    for (let attempt = 0; attempt < 100 && !png; attempt++) {
      if (!(await inViewAndAnswered())) {
        await page.waitForTimeout(50);
        continue;
      }
      const shotNow = await page.screenshot({ fullPage: true });
      if (await inViewAndAnswered()) png = shotNow;
    }
    if (!png) throw new Error('no screenshot with the answered digit in view in 100 attempts');
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'serve.png');
    writeFileSync(shot, png);
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
