import sharp from 'sharp';
import { IMAGE_SIZE, PIXELS } from '../data/index.js';

/** LeCun et al.: each digit was size-normalized to fit a 20×20 box (aspect kept, anti-aliased)... */
export const MNIST_BOX = 20;
/**
 * ...then placed in 28×28 so that its centre of mass sits at the field's centre. Measured on the 10,000 MNIST
 * test digits (intensity-weighted, pixel-index coordinates): mean centre of mass (14.008, 13.993).
 */
export const MNIST_CENTRE = 14;

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';

/** Box size for a w×h crop: the longer side becomes 20, the other keeps the aspect ratio (at least 1). */
export function boxSize(width: number, height: number): { width: number; height: number } {
  const long = Math.max(width, height);
  return {
    width: Math.max(1, Math.round((width * MNIST_BOX) / long)),
    height: Math.max(1, Math.round((height * MNIST_BOX) / long)),
  };
}

/** Anti-aliased resize (sharp) of a single-channel crop into its 20-pixel box. */
export async function fitToBox(crop: Uint8Array, width: number, height: number, kernel: ResizeKernel): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const box = boxSize(width, height);
  const data = await sharp(crop, { raw: { width, height, channels: 1 } })
    .resize(box.width, box.height, { fit: 'fill', kernel })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), ...box };
}

export interface Centred {
  readonly pixels: Uint8Array;
  /** Where the box's top-left corner landed in the 28×28 field. */
  readonly offsetX: number;
  readonly offsetY: number;
  /** Intensity-weighted centre of mass in 28×28 pixel-index coordinates, after placement. */
  readonly comX: number;
  readonly comY: number;
}

/** Pastes the box into 28×28 by a whole-pixel shift that brings its centre of mass nearest to (14, 14). */
export function centreByMass(box: Uint8Array, width: number, height: number): Centred {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = box[y * width + x];
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  const cx = mass > 0 ? sx / mass : (width - 1) / 2;
  const cy = mass > 0 ? sy / mass : (height - 1) / 2;
  const offsetX = Math.min(IMAGE_SIZE - width, Math.max(0, Math.round(MNIST_CENTRE - cx)));
  const offsetY = Math.min(IMAGE_SIZE - height, Math.max(0, Math.round(MNIST_CENTRE - cy)));
  const pixels = new Uint8Array(PIXELS);
  for (let y = 0; y < height; y++) pixels.set(box.subarray(y * width, (y + 1) * width), (y + offsetY) * IMAGE_SIZE + offsetX);
  return { pixels, offsetX, offsetY, comX: cx + offsetX, comY: cy + offsetY };
}
