import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** A decoded IDX file (the format MNIST, EMNIST and Fashion-MNIST ship in). Only unsigned-byte data is supported. */
export interface IdxTensor {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

export class IdxFormatError extends Error {
  constructor(readonly file: string, readonly offset: number, detail: string) {
    super(`${file}: ${detail} (at byte ${offset})`);
    this.name = 'IdxFormatError';
  }
}

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

/** Parses IDX bytes; `file` only names the source in errors. Gzip input (1f 8b) is inflated first. */
export function parseIdx(raw: Uint8Array, file: string): IdxTensor {
  let bytes = raw;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new IdxFormatError(file, 0, `gzip data is corrupt: ${(e as Error).message}`);
    }
  }
  if (bytes.length < 4) throw new IdxFormatError(file, bytes.length, `truncated header: ${bytes.length} bytes, need at least 4 for the magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new IdxFormatError(file, 0, `wrong magic number ${magic}: an IDX file starts with 00 00 <type> <rank>`);
  }
  const type = bytes[2];
  const rank = bytes[3];
  if (type !== UNSIGNED_BYTE) {
    throw new IdxFormatError(file, 2, `unsupported element type 0x${type.toString(16)} (${TYPE_NAMES[type] ?? 'unknown'}); only unsigned byte (0x08) is supported`);
  }
  if (rank < 1) throw new IdxFormatError(file, 3, 'rank 0: an IDX file needs at least one dimension');
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) {
    throw new IdxFormatError(file, bytes.length, `truncated header: ${bytes.length} bytes, rank ${rank} needs ${headerLen}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLen;
  if (actual < expected) {
    throw new IdxFormatError(file, bytes.length, `truncated data: dimensions ${dims.join('×')} need ${expected} bytes after the ${headerLen}-byte header, found ${actual}`);
  }
  if (actual > expected) {
    throw new IdxFormatError(file, headerLen + expected, `${actual - expected} unexpected trailing bytes after ${dims.join('×')} elements`);
  }
  return { dims, data: bytes.subarray(headerLen, headerLen + expected) };
}

export function readIdxFile(path: string): IdxTensor {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new IdxFormatError(path, 0, err.code === 'ENOENT' ? 'file not found' : `cannot read: ${err.message}`);
  }
  return parseIdx(raw, path);
}
