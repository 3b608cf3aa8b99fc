// Colour reaches the preprocessing from every source: camera and video frames (ffmpeg rgb24), still images and
// serve's JPEGs (decodeImage). The constructed frame is a digit whose ink has the paper's luma but not its red:
// read as gray it is blank paper; read in colour it is a digit. If a source drops colour again, this fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, test } from 'vitest';
import { imageAt, loadDigitSet } from '../src/data/index.js';
import { decodeImage, lumaOfRgb, preprocess, resolveFfmpeg, videoFrames, type Frame } from '../src/camera/index.js';
import { toolsPresent } from './tools.js';

const withFfmpeg = toolsPresent('colour video frames', ['ffmpeg', 'ffprobe']);
const ffmpeg = withFfmpeg ? await resolveFfmpeg() : null;
const scratch = mkdtempSync(path.join(tmpdir(), 'edge-digits-colour-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WIDTH = 240;
const HEIGHT = 180;
const PAPER = [200, 200, 100] as const; // luma 188.6
const INK = [110, 222, 250] as const; //   luma 187.9: invisible in gray, 90 levels darker in red

/** MNIST test digit `i` scaled ×4 onto the middle of the page, the ink blended by the digit's intensity. */
function isoluminantDigit(i: number): { rgb: Uint8Array; label: number } {
  const test = loadDigitSet('mnist:test', 20);
  const px = imageAt(test, i);
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  const s = 4;
  const x0 = (WIDTH - 28 * s) >> 1;
  const y0 = (HEIGHT - 28 * s) >> 1;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const dx = Math.floor((x - x0) / s);
      const dy = Math.floor((y - y0) / s);
      const a = dx >= 0 && dx < 28 && dy >= 0 && dy < 28 ? px[dy * 28 + dx] / 255 : 0;
      for (let c = 0; c < 3; c++) rgb[(y * WIDTH + x) * 3 + c] = Math.round(PAPER[c] * (1 - a) + INK[c] * a);
    }
  }
  return { rgb, label: test.labels[i] };
}

function frame(gray: Uint8Array, rgb?: Uint8Array): Frame {
  return { gray, ...(rgb ? { rgb } : {}), width: WIDTH, height: HEIGHT, timestampMs: 0, index: 0, source: 'isoluminant' };
}

describe('colour from every source', () => {
  const { rgb } = isoluminantDigit(0);
  const raw = { raw: { width: WIDTH, height: HEIGHT, channels: 3 as const } };

  test('the constructed frame: gray alone shows no digit, colour shows one in the red channel', async () => {
    const gray = lumaOfRgb(rgb);
    const none = await preprocess(frame(gray));
    expect(none.kind).toBe('none');
    const found = await preprocess(frame(gray, rgb));
    expect(found.kind).toBe('digit');
    if (found.kind === 'digit') expect(found.geometry.channel).toBe('red');
  });

  test('lumaOfRgb is Rec. 601, rounded (brute force over a colour cube)', () => {
    const cube: number[] = [];
    for (let r = 0; r < 256; r += 15) for (let g = 0; g < 256; g += 17) for (let b = 0; b < 256; b += 51) cube.push(r, g, b);
    const luma = lumaOfRgb(Uint8Array.from(cube));
    for (let i = 0; i < luma.length; i++) {
      expect(luma[i]).toBe(Math.round(0.299 * cube[3 * i] + 0.587 * cube[3 * i + 1] + 0.114 * cube[3 * i + 2]));
    }
  });

  test('still images: decodeImage keeps colour (PNG), and a gray image stays gray', async () => {
    const png = path.join(scratch, 'isoluminant.png');
    await sharp(rgb, raw).png().toFile(png);
    const img = await decodeImage(png);
    expect(img.rgb).toBeDefined();
    expect(Buffer.from(img.rgb!).equals(Buffer.from(rgb))).toBe(true);
    const found = await preprocess({ ...img, timestampMs: 0, index: 0, source: png });
    expect(found.kind).toBe('digit');
    const grayPng = path.join(scratch, 'gray.png');
    await sharp(lumaOfRgb(rgb), { raw: { width: WIDTH, height: HEIGHT, channels: 1 } }).toColourspace('b-w').png().toFile(grayPng);
    const g = await decodeImage(grayPng);
    expect(g.rgb).toBeUndefined();
    expect(g.gray.length).toBe(WIDTH * HEIGHT);
  });

  test.skipIf(!withFfmpeg)('video (and so camera) frames arrive in colour, with their luma as gray', async () => {
    const png = path.join(scratch, 'still.png');
    await sharp(rgb, raw).png().toFile(png);
    const clip = path.join(scratch, 'clip.mkv');
    const enc = spawnSync(ffmpeg!.path, ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-i', png, '-frames:v', '3', '-c:v', 'ffv1', '-pix_fmt', 'bgr0', clip], { encoding: 'utf8' });
    expect(enc.stderr).toBe('');
    const frames: Frame[] = [];
    for await (const f of videoFrames(clip)) frames.push(f);
    expect(frames.length).toBe(3);
    for (const f of frames) {
      expect(f.rgb).toBeDefined();
      expect(Buffer.from(f.rgb!).equals(Buffer.from(rgb))).toBe(true);
      expect(Buffer.from(f.gray).equals(Buffer.from(lumaOfRgb(f.rgb!)))).toBe(true);
    }
    const found = await preprocess(frames[0]);
    expect(found.kind).toBe('digit');
  }, 30_000);
});
