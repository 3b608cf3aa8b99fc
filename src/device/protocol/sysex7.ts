/**
 * Dense 7-bit packing for sysex data (Firmata's Encoder7Bit layout): the input is one little-endian bit stream
 * (bit k = bit k%8 of byte ⌊k/8⌋) cut into 7-bit groups, so every 7 bytes become 8 sysex bytes. Unused high bits
 * of the last group are zero.
 */

/** Sysex bytes needed for `byteCount` bytes: ⌈8n/7⌉. */
export function packedLength(byteCount: number): number {
  if (!Number.isInteger(byteCount) || byteCount < 0) throw new RangeError(`packedLength: byteCount must be a non-negative integer, got ${byteCount}`);
  return Math.ceil((byteCount * 8) / 7);
}

/** Bytes carried by `packedCount` sysex bytes when no group is wasted: ⌊7m/8⌋. */
export function unpackedLength(packedCount: number): number {
  if (!Number.isInteger(packedCount) || packedCount < 0) throw new RangeError(`unpackedLength: packedCount must be a non-negative integer, got ${packedCount}`);
  return Math.floor((packedCount * 7) / 8);
}

export function packSysex7(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(packedLength(bytes.length));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const byte of bytes) {
    acc |= byte << bits;
    bits += 8;
    while (bits >= 7) {
      out[o++] = acc & 0x7f;
      acc >>>= 7;
      bits -= 7;
    }
  }
  if (bits > 0) out[o] = acc & 0x7f;
  return out;
}

export class Sysex7Error extends RangeError {
  constructor(readonly offset: number, detail: string) {
    super(`${detail} (packed byte ${offset})`);
    this.name = 'Sysex7Error';
  }
}

/**
 * Inverse of packSysex7. With `byteCount` the packed length must be exactly packedLength(byteCount); without it
 * ⌊7m/8⌋ bytes are returned. Throws Sysex7Error on a byte >= 0x80, a wrong length or non-zero padding bits.
 */
export function unpackSysex7(packed: Uint8Array, byteCount?: number): Uint8Array {
  const count = byteCount ?? unpackedLength(packed.length);
  const expected = packedLength(count);
  if (packed.length !== expected) {
    throw new Sysex7Error(Math.min(packed.length, expected), `${count} bytes pack into ${expected} sysex bytes, got ${packed.length}`);
  }
  const out = new Uint8Array(count);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < packed.length; i++) {
    const b = packed[i];
    if (b > 0x7f) throw new Sysex7Error(i, `byte 0x${b.toString(16)} is not 7-bit`);
    acc |= b << bits;
    bits += 7;
    if (bits >= 8 && o < count) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (acc !== 0) throw new Sysex7Error(packed.length - 1, `padding bits of the last group are not zero (0x${acc.toString(16)})`);
  return out;
}
