/**
 * Framing shared by every edge-digits sysex message (both directions):
 *
 *   F0 <id> <seq bits 0-6> <seq bits 7-13> <packSysex7(payload)> <crc bits 0-6> <crc bits 7-13> <crc bits 14-15> F7
 *
 * CRC-16/CCITT-FALSE over the unpacked bytes [id, seq & 0xFF, seq >> 8, ...payload], so a corrupted ID, sequence
 * number or payload bit is detected.
 */
import { crc16CcittFalse } from './crc16.js';
import { CrcMismatchError, FieldValueError, MessageLengthError } from './errors.js';
import { FirmataCommand, Layout } from './ids.js';
import { Sysex7Error, packSysex7, packedLength, unpackSysex7 } from './sysex7.js';

export interface EdFrame {
  readonly seq: number;
  readonly payload: Uint8Array;
}

export function assertSeq(seq: number, where: string): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > Layout.SEQ_MAX) {
    throw new RangeError(`${where}: seq must be an integer 0..${Layout.SEQ_MAX}, got ${seq}`);
  }
}

export function edFrameCrc(command: number, seq: number, payload: Uint8Array): number {
  const header = crc16CcittFalse(Uint8Array.of(command, seq & 0xff, seq >> 8));
  return crc16CcittFalse(payload, header);
}

export function edBodyLength(payloadLength: number): number {
  return Layout.SEQ_BYTES + packedLength(payloadLength) + Layout.CRC_BYTES;
}

/** The full frame F0 … F7. */
export function encodeEdSysex(command: number, seq: number, payload: Uint8Array): Uint8Array {
  assertSeq(seq, `sysex 0x${command.toString(16)}`);
  const packed = packSysex7(payload);
  const crc = edFrameCrc(command, seq, payload);
  const out = new Uint8Array(2 + edBodyLength(payload.length) + 1);
  out[0] = FirmataCommand.START_SYSEX;
  out[1] = command;
  out[2] = seq & 0x7f;
  out[3] = seq >> 7;
  out.set(packed, 4);
  const c = 4 + packed.length;
  out[c] = crc & 0x7f;
  out[c + 1] = (crc >> 7) & 0x7f;
  out[c + 2] = crc >> 14;
  out[c + 3] = FirmataCommand.END_SYSEX;
  return out;
}

/**
 * Checks length, 7-bit bytes, padding and CRC of a body (the data bytes between the ID and F7) and returns the
 * sequence number and unpacked payload. `baseOffset` is added to offsets in errors.
 */
export function decodeEdSysexBody(command: number, body: ArrayLike<number>, payloadLength: number, baseOffset = 0): EdFrame {
  const expected = edBodyLength(payloadLength);
  if (body.length !== expected) {
    throw new MessageLengthError(baseOffset + Math.min(body.length, expected), command, String(expected), body.length);
  }
  const bytes = Uint8Array.from(body as ArrayLike<number>);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f || body[i] !== bytes[i]) {
      throw new FieldValueError(baseOffset + i, 'sysex data byte', `${body[i]} is not a 7-bit value`);
    }
  }
  const seq = bytes[0] | (bytes[1] << 7);
  const packedEnd = Layout.SEQ_BYTES + packedLength(payloadLength);
  let payload: Uint8Array;
  try {
    payload = unpackSysex7(bytes.subarray(Layout.SEQ_BYTES, packedEnd), payloadLength);
  } catch (e) {
    if (e instanceof Sysex7Error) throw new FieldValueError(baseOffset + Layout.SEQ_BYTES + e.offset, 'packed payload', e.message);
    throw e;
  }
  const top = bytes[packedEnd + 2];
  if (top > 0x03) throw new FieldValueError(baseOffset + packedEnd + 2, 'CRC bits 14-15', `${top} does not fit in 2 bits`);
  const received = bytes[packedEnd] | (bytes[packedEnd + 1] << 7) | (top << 14);
  const computed = edFrameCrc(command, seq, payload);
  if (received !== computed) throw new CrcMismatchError(baseOffset + packedEnd, command, received, computed);
  return { seq, payload };
}
