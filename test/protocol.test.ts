import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BoardMessageDecoder,
  CRC16_CHECK_VALUE,
  ClassifyStatus,
  CrcMismatchError,
  EdSysex,
  ErrorReason,
  FieldValueError,
  Layout,
  MAX_BOARD_SYSEX_BODY,
  MessageLengthError,
  OverflowError,
  StrayStatusByteError,
  Sysex7Error,
  UnexpectedByteError,
  UnknownCommandError,
  crc16CcittFalse,
  decodeEdSysexBody,
  decodeSysexBody,
  encodeBoardMessage,
  encodeClassifyRequest,
  encodeDigitalMessage,
  encodePinStateQuery,
  encodeProtocolInfoQuery,
  encodeReportAnalog,
  encodeSetDigitalPinValue,
  encodeSetPinMode,
  packSysex7,
  packedLength,
  unpackSysex7,
  type BoardMessage,
  type DecodeResult,
} from '../src/device/protocol/index.js';

/** firmata-io's own Encoder7Bit: an independent implementation of the same packing. */
interface Encoder7Bit {
  to7BitArray(data: Iterable<number>): number[];
  from7BitArray(encoded: ArrayLike<number>): number[];
}
const require = createRequire(import.meta.url);
const firmataEncoder = require('firmata-io/lib/encoder7bit.js') as Encoder7Bit;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function decodeAll(bytes: Uint8Array): DecodeResult[] {
  const d = new BoardMessageDecoder();
  return [...d.push(bytes), ...d.flush()];
}

function messagesOf(results: DecodeResult[]): BoardMessage[] {
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.message;
  });
}

const classifyReplyArb = fc.record({
  seq: fc.integer({ min: 0, max: Layout.SEQ_MAX }),
  status: fc.constantFrom(...Object.values(ClassifyStatus)),
  digit: fc.integer({ min: 0, max: 9 }),
  logits: fc.int8Array({ minLength: 10, maxLength: 10 }),
  inferenceMicros: fc.integer({ min: 0, max: 0xffffffff }),
}).map((r): BoardMessage => ({ kind: 'classify-reply', ...r }));

const errorReplyArb = fc.record({
  seq: fc.option(fc.integer({ min: 0, max: Layout.SEQ_MAX }), { nil: null }),
  reason: fc.constantFrom(...Object.values(ErrorReason)),
  command: fc.integer({ min: 0, max: 255 }),
  receivedLength: fc.integer({ min: 0, max: 0xffff }),
  offendingByte: fc.integer({ min: 0, max: 255 }),
}).map((r): BoardMessage => ({ kind: 'error-reply', ...r }));

const firmataMessageArb: fc.Arbitrary<BoardMessage> = fc.oneof(
  fc.record({ major: fc.nat(127), minor: fc.nat(127) }).map((r): BoardMessage => ({ kind: 'version', ...r })),
  fc.record({ major: fc.nat(127), minor: fc.nat(127), name: fc.string({ maxLength: 20 }) }).map((r): BoardMessage => ({ kind: 'firmware', ...r })),
  fc.array(fc.array(fc.record({ mode: fc.nat(126), resolution: fc.nat(127) }), { maxLength: 4 }), { maxLength: 30 })
    .map((pins): BoardMessage => ({ kind: 'capability', pins })),
  fc.array(fc.nat(127), { maxLength: 30 }).map((channels): BoardMessage => ({ kind: 'analog-mapping', channels })),
  fc.record({ pin: fc.nat(127), mode: fc.nat(127), state: fc.nat(2 ** 28 - 1) }).map((r): BoardMessage => ({ kind: 'pin-state', ...r })),
  fc.record({ port: fc.nat(15), value: fc.nat(255) }).map((r): BoardMessage => ({ kind: 'digital', ...r })),
  fc.record({ channel: fc.nat(15), value: fc.nat(0x3fff) }).map((r): BoardMessage => ({ kind: 'analog', ...r })),
);

const boardMessageArb = fc.oneof(classifyReplyArb, errorReplyArb, firmataMessageArb);

describe('CRC-16/CCITT-FALSE', () => {
  it('has the catalogue check value 0x29B1 for "123456789"', () => {
    expect(CRC16_CHECK_VALUE).toBe(0x29b1);
    expect(crc16CcittFalse(ascii('123456789'))).toBe(0x29b1);
    expect(crc16CcittFalse(new Uint8Array(0))).toBe(0xffff);
  });

  it('continues across pieces like one pass', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
      const at = Math.min(cut, bytes.length);
      expect(crc16CcittFalse(bytes.subarray(at), crc16CcittFalse(bytes.subarray(0, at)))).toBe(crc16CcittFalse(bytes));
    }));
  });
});

describe('7-bit packing', () => {
  it('round-trips, stays 7-bit, takes ⌈8n/7⌉ bytes and matches firmata-io Encoder7Bit', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const packed = packSysex7(bytes);
      expect(packed.length).toBe(Math.ceil((bytes.length * 8) / 7));
      expect(packed.every((b) => b < 0x80)).toBe(true);
      expect(Array.from(unpackSysex7(packed, bytes.length))).toEqual(Array.from(bytes));
      expect(Array.from(packed)).toEqual(firmataEncoder.to7BitArray(bytes));
      expect(firmataEncoder.from7BitArray(packed)).toEqual(Array.from(bytes));
    }), { numRuns: 500 });
  });

  it('packs 784 pixels into exactly 896 bytes', () => {
    expect(packedLength(784)).toBe(896);
  });

  it('rejects non-7-bit bytes, wrong lengths and non-zero padding with the packed offset', () => {
    expect(() => unpackSysex7(Uint8Array.of(0x01, 0x80), 1)).toThrow(Sysex7Error);
    expect(() => unpackSysex7(Uint8Array.of(0x01, 0x80), 1)).toThrow(/packed byte 1/);
    expect(() => unpackSysex7(Uint8Array.of(0x01, 0x00, 0x00), 1)).toThrow(/1 bytes pack into 2 sysex bytes, got 3/);
    // 1 byte = 8 bits in two groups: the second group may only use its lowest bit.
    expect(() => unpackSysex7(Uint8Array.of(0x01, 0x02), 1)).toThrow(/padding bits/);
  });
});

describe('host -> board encoders', () => {
  const pixels = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) & 0xff);

  it('lays out a classify request as F0 01 seq(2) packed pixels(896) crc(3) F7 with the CRC over id, seq and pixels', () => {
    const frame = encodeClassifyRequest(0x1234, pixels);
    expect(frame.length).toBe(904);
    expect(Array.from(frame.subarray(0, 4))).toEqual([0xf0, 0x01, 0x1234 & 0x7f, 0x1234 >> 7]);
    expect(Array.from(frame.subarray(4, 900))).toEqual(Array.from(packSysex7(pixels)));
    const crc = crc16CcittFalse(Uint8Array.of(0x01, 0x34, 0x12, ...pixels));
    expect(Array.from(frame.subarray(900))).toEqual([crc & 0x7f, (crc >> 7) & 0x7f, crc >> 14, 0xf7]);
    const { seq, payload } = decodeEdSysexBody(EdSysex.CLASSIFY_REQUEST, frame.subarray(2, -1), 784);
    expect(seq).toBe(0x1234);
    expect(Array.from(payload)).toEqual(Array.from(pixels));
  });

  it('encodes the Firmata pin commands byte for byte', () => {
    expect(Array.from(encodeSetPinMode(13, 1))).toEqual([0xf4, 13, 1]);
    expect(Array.from(encodeSetDigitalPinValue(13, 1))).toEqual([0xf5, 13, 1]);
    expect(Array.from(encodeDigitalMessage(1, 0xa5))).toEqual([0x91, 0x25, 0x01]);
    expect(Array.from(encodeReportAnalog(3, true))).toEqual([0xc3, 1]);
    expect(Array.from(encodePinStateQuery(7))).toEqual([0xf0, 0x6d, 7, 0xf7]);
  });

  it('rejects bad arguments with a RangeError naming them', () => {
    expect(() => encodeClassifyRequest(0, new Uint8Array(783))).toThrow(/pixels must be a Uint8Array of 784 bytes, got 783/);
    expect(() => encodeClassifyRequest(16384, pixels)).toThrow(/seq must be an integer 0..16383, got 16384/);
    expect(() => encodeProtocolInfoQuery(-1)).toThrow(RangeError);
    expect(() => encodeSetPinMode(128, 1)).toThrow(/encodeSetPinMode: pin must be an integer 0..127, got 128/);
    expect(() => encodeDigitalMessage(16, 0)).toThrow(/port/);
    expect(() => encodeBoardMessage({ kind: 'classify-reply', seq: 0, status: 0, digit: 0, logits: new Int8Array(9), inferenceMicros: 0 }))
      .toThrow(/logits must have 10 entries, got 9/);
  });
});

describe('board -> host messages', () => {
  it('round-trip through encodeBoardMessage and the streaming decoder', () => {
    fc.assert(fc.property(boardMessageArb, (m) => {
      const [result, ...rest] = decodeAll(encodeBoardMessage(m));
      expect(rest).toEqual([]);
      expect(result.ok && result.message).toEqual(m);
    }), { numRuns: 500 });
  });

  it('decode the same however the byte stream is chunked', () => {
    fc.assert(fc.property(fc.array(boardMessageArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (ms, cuts) => {
      const stream = Uint8Array.from(ms.flatMap((m) => Array.from(encodeBoardMessage(m))));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const d = new BoardMessageDecoder();
      const results: DecodeResult[] = [];
      let from = 0;
      for (const p of [...points, stream.length]) {
        results.push(...d.push(stream.subarray(from, p)));
        from = p;
      }
      expect(messagesOf(results)).toEqual(ms);
      expect(d.offset).toBe(stream.length);
    }), { numRuns: 300 });
  });

  it('decodes a sysex body as firmata-io sysexResponse hands it over (plain number array)', () => {
    const reply: BoardMessage = { kind: 'classify-reply', seq: 3, status: 0, digit: 7, logits: Int8Array.of(-128, 0, 1, 2, 3, 4, 5, 6, 127, -1), inferenceMicros: 123456 };
    const frame = encodeBoardMessage(reply);
    expect(decodeSysexBody(frame[1], Array.from(frame.subarray(2, -1)))).toEqual(reply);
  });
});

describe('streaming decoder errors', () => {
  const version = Uint8Array.of(0xf9, 2, 5);
  const reply = encodeBoardMessage({ kind: 'classify-reply', seq: 9, status: 0, digit: 1, logits: new Int8Array(10), inferenceMicros: 5 });

  function only<T>(results: DecodeResult[], type: abstract new (...args: never[]) => T): T {
    const errors = results.filter((r) => !r.ok);
    expect(errors).toHaveLength(1);
    const e = !errors[0].ok ? errors[0].error : undefined;
    expect(e).toBeInstanceOf(type);
    return e as T;
  }

  it('reports a run of junk once, with its offset, and keeps decoding', () => {
    const results = decodeAll(Uint8Array.of(...version, 0x01, 0x02, 0x03, ...version));
    const e = only(results, UnexpectedByteError);
    expect(e.offset).toBe(3);
    expect(e.bytes.length).toBe(3);
    expect(e.message).toMatch(/3 unexpected byte\(s\).*at byte offset 3/);
    expect(results.filter((r) => r.ok)).toHaveLength(2);
  });

  it('aborts a sysex at a stray status byte and decodes the message it starts', () => {
    const results = decodeAll(Uint8Array.of(...reply.subarray(0, 10), ...version));
    const e = only(results, StrayStatusByteError);
    expect(e.offset).toBe(10);
    expect(e.byte).toBe(0xf9);
    expect(e.command).toBe(EdSysex.CLASSIFY_REPLY);
    expect(messagesOf(results.filter((r) => r.ok))).toEqual([{ kind: 'version', major: 2, minor: 5 }]);
  });

  it('names the CRC field offset on a CRC mismatch', () => {
    const bad = reply.slice();
    bad[10] ^= 0x01;
    const e = only(decodeAll(bad), CrcMismatchError);
    expect(e.offset).toBe(2 + 2 + packedLength(Layout.CLASSIFY_REPLY_PAYLOAD_LEN));
    expect(e.message).toMatch(/CRC mismatch/);
  });

  it('rejects wrong lengths, unknown sysex IDs, bad digits, overflow and an unterminated tail', () => {
    expect(only(decodeAll(Uint8Array.of(...reply.subarray(0, 12), 0xf7)), MessageLengthError).actual).toBe(10);
    expect(only(decodeAll(Uint8Array.of(0xf0, 0x71, 0x41, 0x00, 0xf7)), UnknownCommandError).command).toBe(0x71);
    const badDigit = encodeBoardMessage({ kind: 'classify-reply', seq: 1, status: 0, digit: 10, logits: new Int8Array(10), inferenceMicros: 0 });
    expect(only(decodeAll(badDigit), FieldValueError).field).toBe('classify-reply.digit');
    const long = Uint8Array.of(0xf0, 0x6a, ...new Uint8Array(MAX_BOARD_SYSEX_BODY + 10), 0xf7, ...version);
    const overflow = decodeAll(long);
    expect(only(overflow, OverflowError).offset).toBe(2 + MAX_BOARD_SYSEX_BODY);
    expect(messagesOf(overflow.filter((r) => r.ok))).toEqual([{ kind: 'version', major: 2, minor: 5 }]);
    expect(only(decodeAll(reply.subarray(0, 20)), MessageLengthError).message).toMatch(/END_SYSEX/);
  });

  it('rejects non-7-bit data handed to decodeSysexBody', () => {
    expect(() => decodeSysexBody(0x6a, [1, 200])).toThrow(/sysex data byte: 200 is not a 7-bit value \(at byte offset 1\)/);
  });
});
