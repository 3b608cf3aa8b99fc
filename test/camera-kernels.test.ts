import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { labelComponents } from '../src/camera/components.js';
import { centreByMass, boxSize } from '../src/camera/mnist-layout.js';
import { glareBoost, MIN_VEIL } from '../src/camera/flatten.js';
import { closing, opening, running2d, runningWindow2d } from '../src/camera/morphology.js';
import { otsuLevel } from '../src/camera/threshold.js';
import { resolveRoi } from '../src/camera/roi.js';
import { findSheet } from '../src/camera/sheet.js';

function bruteRunning(src: Float32Array, w: number, h: number, r: number, takeMax: boolean): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = takeMax ? -Infinity : Infinity;
      for (let j = Math.max(0, y - r); j <= Math.min(h - 1, y + r); j++) {
        for (let i = Math.max(0, x - r); i <= Math.min(w - 1, x + r); i++) m = takeMax ? Math.max(m, src[j * w + i]) : Math.min(m, src[j * w + i]);
      }
      out[y * w + x] = m;
    }
  }
  return out;
}

const image = fc.record({ w: fc.integer({ min: 1, max: 23 }), h: fc.integer({ min: 1, max: 23 }), r: fc.integer({ min: 0, max: 9 }), seed: fc.integer() })
  .map(({ w, h, r, seed }) => {
    const src = new Float32Array(w * h);
    let s = seed >>> 0 || 1;
    for (let i = 0; i < src.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; src[i] = s >>> 24; }
    return { w, h, r, src };
  });

describe('morphology (van Herk / Gil–Werman)', () => {
  test('running max and min equal the brute-force window extremes for any size and radius', () => {
    fc.assert(fc.property(image, ({ w, h, r, src }) => {
      expect(Array.from(running2d(src, w, h, r, true))).toEqual(Array.from(bruteRunning(src, w, h, r, true)));
      expect(Array.from(running2d(src, w, h, r, false))).toEqual(Array.from(bruteRunning(src, w, h, r, false)));
    }), { numRuns: 150 });
  });

  test('runningWindow2d equals the brute-force extremes of windows clipped to the image, at positions inside and outside it', () => {
    const offsets = fc.record({ ox: fc.integer({ min: -12, max: 12 }), oy: fc.integer({ min: -12, max: 12 }), ow: fc.integer({ min: 1, max: 40 }), oh: fc.integer({ min: 1, max: 40 }) });
    fc.assert(fc.property(image, offsets, fc.boolean(), ({ w, h, r, src }, { ox, oy, ow, oh }, takeMax) => {
      const got = runningWindow2d(src, w, h, r, takeMax, ox, oy, ow, oh);
      const want = new Float32Array(ow * oh);
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++) {
          let m = takeMax ? -Infinity : Infinity;
          for (let j = Math.max(0, oy + y - r); j <= Math.min(h - 1, oy + y + r); j++) {
            for (let i = Math.max(0, ox + x - r); i <= Math.min(w - 1, ox + x + r); i++) m = takeMax ? Math.max(m, src[j * w + i]) : Math.min(m, src[j * w + i]);
          }
          want[y * ow + x] = m;
        }
      }
      expect(Array.from(got)).toEqual(Array.from(want));
    }), { numRuns: 200 });
    const { w, h, r, src } = { w: 9, h: 7, r: 3, src: Float32Array.from({ length: 63 }, (_, i) => (i * 37) % 101) };
    expect(Array.from(runningWindow2d(src, w, h, r, true, 0, 0, w, h))).toEqual(Array.from(running2d(src, w, h, r, true)));
  });

  test('glareBoost equals the opening of the edge-padded field it is defined by (the padded computation it replaced)', () => {
    // The definition, as it was computed until 2026-12-03: the field padded by 2r with its edge values, +∞ off the
    // sheet for the min, −∞ off the sheet for the max, the opening read at the field's own pixels.
    const reference = (paper: Float32Array, sheet: Uint8Array, width: number, height: number, radius: number, maxBoost: number): Float32Array => {
      const pad = 2 * radius, pw = width + 2 * pad, ph = height + 2 * pad;
      const at = (px: number, py: number): number => Math.min(height - 1, Math.max(0, py - pad)) * width + Math.min(width - 1, Math.max(0, px - pad));
      const masked = new Float32Array(pw * ph);
      for (let py = 0; py < ph; py++) for (let px = 0; px < pw; px++) { const i = at(px, py); masked[py * pw + px] = sheet[i] ? paper[i] : Infinity; }
      const eroded = bruteRunning(masked, pw, ph, radius, false);
      for (let py = 0; py < ph; py++) for (let px = 0; px < pw; px++) if (!sheet[at(px, py)]) eroded[py * pw + px] = -Infinity;
      const unveiled = bruteRunning(eroded, pw, ph, radius, true);
      const boost = new Float32Array(paper.length).fill(1);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = y * width + x;
          const a = unveiled[(y + pad) * pw + x + pad];
          if (!sheet[i] || !(a > 1)) continue;
          const veiled = a + Math.max(0, paper[i] - a - MIN_VEIL * (255 - a));
          const b = (veiled * (255 - a)) / (a * Math.max(1, 255 - veiled));
          boost[i] = b < 1 ? 1 : b > maxBoost ? maxBoost : b;
        }
      }
      return boost;
    };
    const field = fc.record({ w: fc.integer({ min: 1, max: 18 }), h: fc.integer({ min: 1, max: 18 }), r: fc.integer({ min: 1, max: 7 }), seed: fc.integer(), sheetShare: fc.double({ min: 0, max: 1, noNaN: true }) });
    fc.assert(fc.property(field, ({ w, h, r, seed, sheetShare }) => {
      let s = seed >>> 0 || 1;
      const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
      const paper = Float32Array.from({ length: w * h }, () => 100 + 150 * next());
      const sheet = Uint8Array.from({ length: w * h }, () => (next() < sheetShare ? 1 : 0));
      expect(Array.from(glareBoost(paper, sheet, w, h, r, 4))).toEqual(Array.from(reference(paper, sheet, w, h, r, 4)));
    }), { numRuns: 150 });
  });

  test('a sheet that fills the view is the whole image shrunk by 1 with the image border outside (the running min it replaced)', () => {
    for (const [w, h] of [[1, 1], [3, 2], [4, 4], [5, 5], [6, 9], [200, 150], [37, 200]]) {
      const f = new Float32Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f[y * w + x] = x === 0 || y === 0 || x === w - 1 || y === h - 1 ? 0 : 1;
      const want = Array.from(bruteRunning(f, w, h, 1, false), (v) => (v > 0.5 ? 1 : 0));
      const sheet = findSheet(new Float32Array(w * h).fill(180), w, h, 3);
      expect(sheet.bounded).toBe(false);
      expect(Array.from(sheet.mask)).toEqual(want);
    }
  });

  test('closing lies above the image and opening below; a dark line narrower than the window is erased by closing', () => {
    fc.assert(fc.property(image, ({ w, h, r, src }) => {
      const c = closing(src, w, h, r);
      const o = opening(src, w, h, r);
      for (let i = 0; i < src.length; i++) {
        expect(c[i]).toBeGreaterThanOrEqual(src[i]);
        expect(o[i]).toBeLessThanOrEqual(src[i]);
      }
    }), { numRuns: 100 });
    const w = 30, h = 30;
    const paper = new Float32Array(w * h).fill(200);
    for (let y = 0; y < h; y++) for (let x = 12; x < 16; x++) paper[y * w + x] = 40;
    expect(Math.min(...closing(paper, w, h, 3))).toBe(200);
    expect(Math.min(...closing(paper, w, h, 1))).toBe(40);
  });
});

describe('connected components', () => {
  test('8-connectivity joins diagonal neighbours; areas, boxes and edge contact are right', () => {
    const mask = Uint8Array.from([
      1, 0, 0, 0, 0,
      0, 1, 0, 1, 1,
      0, 0, 0, 1, 0,
      1, 0, 0, 0, 0,
    ]);
    const { labels, components } = labelComponents(mask, 5, 4);
    expect(components).toHaveLength(3);
    const [a, b, c] = components;
    expect([a.area, a.minX, a.minY, a.maxX, a.maxY, a.touchesEdge]).toEqual([2, 0, 0, 1, 1, true]);
    expect([b.area, b.minX, b.minY, b.maxX, b.maxY, b.touchesEdge]).toEqual([3, 3, 1, 4, 2, true]);
    expect([c.area, c.touchesEdge]).toEqual([1, true]);
    expect(labels[6]).toBe(labels[0]);
    expect(labels[13]).toBe(labels[8]);
  });

  test('a U shape whose arms meet only at the bottom is one component (labels merged across the scan)', () => {
    const w = 7, h = 6;
    const mask = new Uint8Array(w * h);
    for (let y = 1; y < 5; y++) { mask[y * w + 1] = 1; mask[y * w + 5] = 1; }
    for (let x = 1; x <= 5; x++) mask[4 * w + x] = 1;
    const { components } = labelComponents(mask, w, h);
    expect(components).toHaveLength(1);
    expect(components[0].area).toBe(4 + 4 + 3);
    expect(components[0].touchesEdge).toBe(false);
  });

  test('component count and total area agree with a flood fill on random masks', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }), fc.integer(), (w, h, seed) => {
      const mask = new Uint8Array(w * h);
      let s = seed >>> 0 || 1;
      for (let i = 0; i < mask.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; mask[i] = s >>> 31; }
      const seen = new Uint8Array(w * h);
      let count = 0;
      for (let i = 0; i < mask.length; i++) {
        if (!mask[i] || seen[i]) continue;
        count++;
        const stack = [i];
        seen[i] = 1;
        while (stack.length) {
          const p = stack.pop()!;
          const px = p % w, py = Math.floor(p / w);
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
            const x = px + dx, y = py + dy;
            if (x < 0 || y < 0 || x >= w || y >= h) continue;
            const q = y * w + x;
            if (mask[q] && !seen[q]) { seen[q] = 1; stack.push(q); }
          }
        }
      }
      const { components } = labelComponents(mask, w, h);
      expect(components.length).toBe(count);
      expect(components.reduce((t, c) => t + c.area, 0)).toBe(mask.reduce((t, v) => t + v, 0));
    }), { numRuns: 200 });
  });
});

describe('Otsu, ROI and the MNIST layout', () => {
  test('Otsu splits two well-separated modes between them', () => {
    const hist = new Array(256).fill(0);
    hist[20] = 900;
    hist[200] = 100;
    const level = otsuLevel(hist);
    expect(level).toBeGreaterThanOrEqual(20);
    expect(level).toBeLessThan(200);
  });

  test('ROI: centre square by fraction, rectangles checked against the frame', () => {
    expect(resolveRoi({ fraction: 1 }, 640, 480)).toEqual({ x: 80, y: 0, width: 480, height: 480 });
    expect(resolveRoi({ fraction: 0.5 }, 640, 480)).toEqual({ x: 200, y: 120, width: 240, height: 240 });
    expect(() => resolveRoi({ x: 0.5, y: 0, width: 10, height: 10 }, 640, 480)).toThrow(/roi\.x must be an integer/);
  });

  test('the box keeps the aspect ratio with the longer side 20; the centre of mass lands within half a pixel of (14, 14)', () => {
    expect(boxSize(60, 30)).toEqual({ width: 20, height: 10 });
    expect(boxSize(7, 70)).toEqual({ width: 2, height: 20 });
    // A 6×20 bar whose mass is heavier at the bottom.
    const bar = new Uint8Array(6 * 20);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 6; x++) bar[y * 6 + x] = y < 10 ? 60 : 255;
    const c = centreByMass(bar, 6, 20);
    expect(Math.abs(c.comX - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(c.comY - 14)).toBeLessThanOrEqual(0.5);
    expect(c.offsetY).toBeLessThan(4);
    expect(c.pixels.reduce((t, v) => t + v, 0)).toBe(bar.reduce((t, v) => t + v, 0));
  });

  test('a lopsided 20-pixel-wide box is shifted only as far as the 28×28 field allows', () => {
    const box = new Uint8Array(20 * 20);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 6; x++) box[y * 20 + x] = 255;
    const c = centreByMass(box, 20, 20);
    expect([c.offsetX, c.offsetY]).toEqual([8, 5]); // x wants 11.5 but stops at 28 − 20; y: round(14 − 9.5)
    expect(c.pixels.reduce((t, v) => t + v, 0)).toBe(box.reduce((t, v) => t + v, 0));
  });
});
