import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { abortError, type Frame } from './frame.js';
import { naturalCompare } from './natural-compare.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif'];

/**
 * The digit a file name encodes, if any: the word `label` or `digit`, an optional `-`, `_` or `=`, then one
 * digit that is not followed by another digit, e.g. `frame-00012-label7.jpg`, `img_digit=3.png`, `label_0.webp`.
 * Plain numbers (`0007.png`) are sequence numbers, not labels.
 */
export function labelFromFilename(file: string): number | undefined {
  const stem = path.basename(file, path.extname(file));
  const m = stem.match(/(?:^|[^a-z])(?:label|digit)[-_=]?(\d)(?!\d)/i);
  return m ? Number(m[1]) : undefined;
}

function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '*') re += '[^/\\\\]*';
    else if (ch === '?') re += '[^/\\\\]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, process.platform === 'win32' ? 'i' : '');
}

export function isGlobPattern(spec: string): boolean {
  return /[*?]/.test(spec);
}

/**
 * Image files named by `spec`, in natural order: a folder (its image files, not recursive), a glob whose
 * wildcards (`*`, `?`) are in the file-name part only (`shots/*.jpg`), or a single image file.
 */
export function listImageFiles(spec: string): string[] {
  if (isGlobPattern(spec)) {
    const dir = path.dirname(spec);
    if (isGlobPattern(dir)) throw new TypeError(`images ${spec}: wildcards are supported in the file name only, not in folder '${dir}'`);
    const re = globToRegExp(path.basename(spec));
    const files = readFolder(dir, spec).filter((f) => re.test(f)).map((f) => path.join(dir, f));
    if (files.length === 0) throw new Error(`images ${spec}: no file matches`);
    return files;
  }
  let stats;
  try {
    stats = statSync(spec);
  } catch {
    throw new Error(`images ${spec}: no such file or folder`);
  }
  if (stats.isFile()) return [spec];
  const files = readFolder(spec, spec).filter(hasImageExtension).map((f) => path.join(spec, f));
  if (files.length === 0) throw new Error(`images ${spec}: the folder holds no ${IMAGE_EXTENSIONS.join('/')} file`);
  return files;
}

function readFolder(dir: string, spec: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort(naturalCompare);
  } catch (e) {
    throw new Error(`images ${spec}: cannot read folder '${dir}': ${(e as Error).message}`);
  }
}

/**
 * Decodes any image sharp reads, honouring EXIF orientation and flattening transparency onto white: 8-bit gray,
 * plus interleaved RGB when the image has colour, so preprocessing can read the ink from the channel with most
 * contrast (as for live camera frames).
 */
export async function decodeImage(input: string | Buffer): Promise<{ gray: Uint8Array; rgb?: Uint8Array; width: number; height: number }> {
  const what = typeof input === 'string' ? input : 'image';
  const base = sharp(input).rotate().flatten({ background: '#ffffff' });
  const { channels } = await base.clone().metadata();
  if (channels !== undefined && channels <= 2) {
    const { data, info } = await base.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`${what}: decoded to ${info.channels} channels, expected 1`);
    return { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  }
  const { data, info } = await base.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${what}: decoded to ${info.channels} channels, expected 3`);
  const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
  const gray = await sharp(data, raw).toColourspace('b-w').raw().toBuffer();
  return {
    gray: new Uint8Array(gray.buffer, gray.byteOffset, gray.length),
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width, height: info.height,
  };
}

export interface ImageSourceOptions {
  /** Nominal time between frames, for the timestamp (default 1000/30 ms, like a 30 fps camera). */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Called for a file that cannot be decoded, which is then skipped (its index stays used); without it the
   * source throws. `run --images` reports each such file as a frame with an error, as `classify` does.
   */
  readonly onUnreadable?: (file: string, index: number, message: string) => void;
}

/** Frames from a folder, glob or single image file (see listImageFiles), with labels from file names. */
export async function* imageFrames(spec: string, options: ImageSourceOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const files = listImageFiles(spec);
  const interval = options.intervalMs ?? 1000 / 30;
  for (let index = 0; index < files.length; index++) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const file = files[index];
    let image;
    try {
      image = await decodeImage(file);
    } catch (e) {
      const message = `image ${file}: cannot decode: ${(e as Error).message}`;
      if (!options.onUnreadable) throw new Error(message);
      options.onUnreadable(file, index, message);
      continue;
    }
    const label = labelFromFilename(file);
    yield { ...image, timestampMs: index * interval, index, source: file, ...(label === undefined ? {} : { label }) };
  }
}
