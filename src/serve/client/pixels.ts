/// <reference lib="dom" />
/**
 * Turning what the page shows into what the host reads: a downscaled grayscale copy. This is only the
 * transport's downscale; all preprocessing (ROI, lighting, threshold, 28×28 fit) happens on the host.
 */

export interface GrayImage {
  readonly gray: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Scale so the shorter side is at most `shortSide` pixels (the host's ROI is the centre square). */
export function transportSize(width: number, height: number, shortSide: number): { width: number; height: number } {
  const s = Math.min(1, shortSide / Math.min(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/** Rec. 601 luma of RGBA pixels. */
export function rgbaToGray(rgba: Uint8ClampedArray, pixels: number): Uint8Array {
  const gray = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 4) {
    gray[i] = (rgba[j] * 299 + rgba[j + 1] * 587 + rgba[j + 2] * 114 + 500) / 1000;
  }
  return gray;
}

/** Draws `source` into a reusable canvas of the given size and reads it back as gray. */
export class GrayGrabber {
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;

  constructor() {
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.ctx = ctx;
  }

  grab(source: CanvasImageSource, width: number, height: number): GrayImage {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.imageSmoothingQuality = 'high';
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, width, height);
    this.ctx.drawImage(source, 0, 0, width, height);
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    return { gray: rgbaToGray(rgba, width * height), width, height };
  }
}
