import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxFormatError, parseIdx, readIdxFile } from '../src/data/index.js';

/** An IDX file as the format defines it: 00 00 <type> <rank>, big-endian uint32 dims, then the elements. */
function idxBytes(dims: readonly number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([header, Buffer.from(Array.from(data))]));
}

function parseError(bytes: Uint8Array, file = 'digits.idx'): IdxFormatError {
  try {
    parseIdx(bytes, file);
  } catch (e) {
    expect(e).toBeInstanceOf(IdxFormatError);
    return e as IdxFormatError;
  }
  throw new Error('parseIdx accepted a broken file');
}

const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-idx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseIdx on well-formed files', () => {
  const elements = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);

  it('reads the dimensions big-endian and returns exactly the element bytes', () => {
    const t = parseIdx(idxBytes([2, 3, 4], elements), 'a.idx');
    expect(t.dims).toEqual([2, 3, 4]);
    expect(Array.from(t.data)).toEqual(elements);
  });

  it('reads dimensions above 255 (all four bytes of the uint32 matter)', () => {
    const t = parseIdx(idxBytes([300, 1], new Uint8Array(300).fill(7)), 'wide.idx');
    expect(t.dims).toEqual([300, 1]);
    expect(t.data.length).toBe(300);
  });

  it('inflates gzip input to the same tensor', () => {
    const raw = idxBytes([2, 3, 4], elements);
    const gz = parseIdx(gzipSync(raw), 'a.idx.gz');
    expect(gz.dims).toEqual([2, 3, 4]);
    expect(Array.from(gz.data)).toEqual(elements);
  });

  it('reads plain and gzip files from disk', () => {
    const raw = idxBytes([5], [0, 1, 2, 3, 9]);
    writeFileSync(path.join(tmp, 'labels'), raw);
    writeFileSync(path.join(tmp, 'labels.gz'), gzipSync(raw));
    for (const f of ['labels', 'labels.gz']) {
      const t = readIdxFile(path.join(tmp, f));
      expect(t.dims).toEqual([5]);
      expect(Array.from(t.data)).toEqual([0, 1, 2, 3, 9]);
    }
  });
});

describe('parseIdx on broken files names the file, the problem and the byte offset', () => {
  it('truncated header: fewer than 4 bytes', () => {
    const e = parseError(new Uint8Array([0, 0, 8]), 'short.idx');
    expect(e.message).toBe('short.idx: truncated header: 3 bytes, need at least 4 for the magic number (at byte 3)');
    expect(e.file).toBe('short.idx');
    expect(e.offset).toBe(3);
  });

  it('truncated header: rank promises more dimensions than present', () => {
    const full = idxBytes([10, 28, 28], []);
    const e = parseError(full.subarray(0, 10), 'cut.idx');
    expect(e.message).toMatch(/^cut\.idx: truncated header: 10 bytes, rank 3 needs 16/);
    expect(e.offset).toBe(10);
  });

  it('truncated data', () => {
    const e = parseError(idxBytes([2, 2, 2], [1, 2, 3, 4, 5, 6, 7]), 'images.idx');
    expect(e.message).toMatch(/^images\.idx: truncated data: dimensions 2×2×2 need 8 bytes after the 16-byte header, found 7/);
    expect(e.offset).toBe(23);
  });

  it('wrong magic number shows the four bytes read', () => {
    const bytes = idxBytes([1], [0]);
    bytes[0] = 0x50;
    bytes[1] = 0x4b;
    const e = parseError(bytes, 'archive.zip');
    expect(e.message).toMatch(/^archive\.zip: wrong magic number 50 4b 08 01: an IDX file starts with 00 00 <type> <rank>/);
    expect(e.offset).toBe(0);
  });

  it('unsupported element type names the type', () => {
    const e = parseError(idxBytes([1], [0, 0, 0, 0], 0x0d), 'floats.idx');
    expect(e.message).toMatch(/^floats\.idx: unsupported element type 0xd \(float32\); only unsigned byte \(0x08\) is supported/);
    expect(e.offset).toBe(2);
    expect(parseError(idxBytes([1], [0], 0x42)).message).toMatch(/0x42 \(unknown\)/);
  });

  it('trailing bytes after the last element', () => {
    const e = parseError(idxBytes([2, 2], [1, 2, 3, 4, 5, 6]), 'long.idx');
    expect(e.message).toMatch(/^long\.idx: 2 unexpected trailing bytes after 2×2 elements/);
    expect(e.offset).toBe(12 + 4);
  });

  it('rank 0', () => {
    const e = parseError(new Uint8Array([0, 0, 8, 0]), 'scalar.idx');
    expect(e.message).toMatch(/^scalar\.idx: rank 0/);
  });

  it('corrupt gzip', () => {
    const gz = gzipSync(idxBytes([4], [1, 2, 3, 4]));
    const broken = gz.subarray(0, gz.length - 6);
    const e = parseError(broken, 'labels.gz');
    expect(e.message).toMatch(/^labels\.gz: gzip data is corrupt: /);
  });

  it('a gzip file whose content is broken reports the content problem', () => {
    const e = parseError(gzipSync(idxBytes([2, 2, 2], [1, 2, 3])), 'images.gz');
    expect(e.message).toMatch(/^images\.gz: truncated data: .* found 3/);
  });

  it('missing file', () => {
    const missing = path.join(tmp, 'nope-images-idx3-ubyte');
    expect(() => readIdxFile(missing)).toThrow(`${missing}: file not found (at byte 0)`);
  });

  it('a folder instead of a file', () => {
    expect(() => readIdxFile(tmp)).toThrow(new RegExp(`^${tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read: `));
  });
});
