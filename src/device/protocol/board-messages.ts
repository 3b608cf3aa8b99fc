/**
 * Board -> host messages: their types, encoders (used by golden fixtures and by host-side mocks of a board) and
 * the sysex body decoder (usable directly from firmata-io's sysexResponse(cmd, handler), which hands the handler
 * the data bytes between the command byte and F7).
 */
import { FieldValueError, MessageLengthError, UnknownCommandError } from './errors.js';
import { decodeEdSysexBody, encodeEdSysex } from './frame.js';
import { EdSysex, ErrorFlag, FirmataCommand, FirmataSysex, Layout } from './ids.js';

export interface VersionReport {
  readonly kind: 'version';
  readonly major: number;
  readonly minor: number;
}

export interface FirmwareReport {
  readonly kind: 'firmware';
  readonly major: number;
  readonly minor: number;
  readonly name: string;
}

export interface PinCapability {
  readonly mode: number;
  readonly resolution: number;
}

export interface CapabilityResponse {
  readonly kind: 'capability';
  /** One entry per pin, in pin order; an empty list is a pin Firmata cannot use. */
  readonly pins: readonly (readonly PinCapability[])[];
}

export interface AnalogMappingResponse {
  readonly kind: 'analog-mapping';
  /** One entry per pin: its analog channel, or Layout.NO_ANALOG_CHANNEL (0x7F). */
  readonly channels: readonly number[];
}

export interface PinStateResponse {
  readonly kind: 'pin-state';
  readonly pin: number;
  readonly mode: number;
  readonly state: number;
}

export interface DigitalReport {
  readonly kind: 'digital';
  readonly port: number;
  /** Bit i = pin 8·port+i. */
  readonly value: number;
}

export interface AnalogReport {
  readonly kind: 'analog';
  readonly channel: number;
  readonly value: number;
}

export interface ClassifyReply {
  readonly kind: 'classify-reply';
  readonly seq: number;
  readonly status: number;
  readonly digit: number;
  readonly logits: Int8Array;
  readonly inferenceMicros: number;
}

export interface ProtocolInfoReply {
  readonly kind: 'protocol-info';
  readonly seq: number;
  readonly protocolMajor: number;
  readonly protocolMinor: number;
  /** Largest sysex body (bytes after the ID) the board's receive buffer holds. */
  readonly maxSysexBody: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly classCount: number;
}

export interface ErrorReply {
  readonly kind: 'error-reply';
  /** Sequence number of the rejected request, or null when the board could not know it. */
  readonly seq: number | null;
  readonly reason: number;
  /** Sysex ID the error concerns, or Layout.NO_COMMAND. */
  readonly command: number;
  /** Sysex body bytes the board had received when it rejected the frame. */
  readonly receivedLength: number;
  /** The stray status byte for STRAY_STATUS_BYTE, else 0. */
  readonly offendingByte: number;
}

export type BoardMessage =
  | VersionReport
  | FirmwareReport
  | CapabilityResponse
  | AnalogMappingResponse
  | PinStateResponse
  | DigitalReport
  | AnalogReport
  | ClassifyReply
  | ProtocolInfoReply
  | ErrorReply;

// ---- encoders ----------------------------------------------------------------------------------------------

function assertRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
  }
}

function sysex(id: number, data: readonly number[]): Uint8Array {
  return Uint8Array.from([FirmataCommand.START_SYSEX, id, ...data, FirmataCommand.END_SYSEX]);
}

/** Splits a non-negative integer into 7-bit groups, least significant first, at least `minGroups` of them. */
function sevenBitGroups(value: number, minGroups: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    out.push(v & 0x7f);
    v = Math.floor(v / 128);
  } while (v > 0 || out.length < minGroups);
  return out;
}

export function encodeBoardMessage(m: BoardMessage): Uint8Array {
  switch (m.kind) {
    case 'version':
      assertRange(m.major, 0, 127, 'version.major');
      assertRange(m.minor, 0, 127, 'version.minor');
      return Uint8Array.of(FirmataCommand.REPORT_VERSION, m.major, m.minor);
    case 'firmware': {
      assertRange(m.major, 0, 127, 'firmware.major');
      assertRange(m.minor, 0, 127, 'firmware.minor');
      const name: number[] = [];
      for (let i = 0; i < m.name.length; i++) {
        const code = m.name.charCodeAt(i);
        assertRange(code, 0, 0x3fff, `firmware.name[${i}] char code`);
        name.push(code & 0x7f, code >> 7);
      }
      return sysex(FirmataSysex.REPORT_FIRMWARE, [m.major, m.minor, ...name]);
    }
    case 'capability': {
      const data: number[] = [];
      m.pins.forEach((modes, pin) => {
        for (const { mode, resolution } of modes) {
          assertRange(mode, 0, 126, `capability.pins[${pin}].mode`);
          assertRange(resolution, 0, 127, `capability.pins[${pin}].resolution`);
          data.push(mode, resolution);
        }
        data.push(Layout.CAPABILITY_PIN_END);
      });
      return sysex(FirmataSysex.CAPABILITY_RESPONSE, data);
    }
    case 'analog-mapping':
      m.channels.forEach((c, pin) => assertRange(c, 0, 127, `analog-mapping.channels[${pin}]`));
      return sysex(FirmataSysex.ANALOG_MAPPING_RESPONSE, [...m.channels]);
    case 'pin-state':
      assertRange(m.pin, 0, 127, 'pin-state.pin');
      assertRange(m.mode, 0, 127, 'pin-state.mode');
      assertRange(m.state, 0, 2 ** 28 - 1, 'pin-state.state');
      return sysex(FirmataSysex.PIN_STATE_RESPONSE, [m.pin, m.mode, ...sevenBitGroups(m.state, 1)]);
    case 'digital':
      assertRange(m.port, 0, 15, 'digital.port');
      assertRange(m.value, 0, 0xff, 'digital.value');
      return Uint8Array.of(FirmataCommand.DIGITAL_MESSAGE | m.port, m.value & 0x7f, m.value >> 7);
    case 'analog':
      assertRange(m.channel, 0, 15, 'analog.channel');
      assertRange(m.value, 0, 0x3fff, 'analog.value');
      return Uint8Array.of(FirmataCommand.ANALOG_MESSAGE | m.channel, m.value & 0x7f, m.value >> 7);
    case 'classify-reply': {
      assertRange(m.status, 0, 255, 'classify-reply.status');
      assertRange(m.digit, 0, 255, 'classify-reply.digit');
      assertRange(m.inferenceMicros, 0, 0xffffffff, 'classify-reply.inferenceMicros');
      if (m.logits.length !== Layout.CLASS_COUNT) {
        throw new RangeError(`classify-reply.logits must have ${Layout.CLASS_COUNT} entries, got ${m.logits.length}`);
      }
      const payload = new Uint8Array(Layout.CLASSIFY_REPLY_PAYLOAD_LEN);
      payload[0] = m.status;
      payload[1] = m.digit;
      payload.set(new Uint8Array(m.logits.buffer, m.logits.byteOffset, Layout.CLASS_COUNT), 2);
      new DataView(payload.buffer).setUint32(2 + Layout.CLASS_COUNT, m.inferenceMicros, true);
      return encodeEdSysex(EdSysex.CLASSIFY_REPLY, m.seq, payload);
    }
    case 'protocol-info': {
      for (const f of ['protocolMajor', 'protocolMinor', 'imageWidth', 'imageHeight', 'classCount'] as const) {
        assertRange(m[f], 0, 255, `protocol-info.${f}`);
      }
      assertRange(m.maxSysexBody, 0, 0xffff, 'protocol-info.maxSysexBody');
      const payload = Uint8Array.of(
        m.protocolMajor, m.protocolMinor, m.maxSysexBody & 0xff, m.maxSysexBody >> 8, m.imageWidth, m.imageHeight, m.classCount,
      );
      return encodeEdSysex(EdSysex.PROTOCOL_INFO_REPLY, m.seq, payload);
    }
    case 'error-reply': {
      assertRange(m.reason, 0, 255, 'error-reply.reason');
      assertRange(m.command, 0, 255, 'error-reply.command');
      assertRange(m.receivedLength, 0, 0xffff, 'error-reply.receivedLength');
      assertRange(m.offendingByte, 0, 255, 'error-reply.offendingByte');
      const flags = m.seq === null ? 0 : ErrorFlag.SEQ_VALID;
      const payload = Uint8Array.of(m.reason, flags, m.command, m.receivedLength & 0xff, m.receivedLength >> 8, m.offendingByte);
      return encodeEdSysex(EdSysex.ERROR_REPLY, m.seq ?? 0, payload);
    }
  }
}

// ---- sysex body decoder ------------------------------------------------------------------------------------

/**
 * Decodes the data bytes of a board -> host sysex (between the ID and F7). Throws a ProtocolError subclass; its
 * offset is `baseOffset` + the index into `data`.
 */
export function decodeSysexBody(command: number, data: ArrayLike<number>, baseOffset = 0): BoardMessage {
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (!Number.isInteger(b) || b < 0 || b > 0x7f) throw new FieldValueError(baseOffset + i, 'sysex data byte', `${b} is not a 7-bit value`);
  }
  switch (command) {
    case FirmataSysex.REPORT_FIRMWARE:
      return decodeFirmware(data, baseOffset);
    case FirmataSysex.CAPABILITY_RESPONSE:
      return decodeCapability(data, baseOffset);
    case FirmataSysex.ANALOG_MAPPING_RESPONSE:
      return { kind: 'analog-mapping', channels: Array.from(data) };
    case FirmataSysex.PIN_STATE_RESPONSE:
      return decodePinState(data, baseOffset);
    case EdSysex.CLASSIFY_REPLY:
      return decodeClassifyReply(data, baseOffset);
    case EdSysex.PROTOCOL_INFO_REPLY:
      return decodeProtocolInfo(data, baseOffset);
    case EdSysex.ERROR_REPLY:
      return decodeErrorReply(data, baseOffset);
    default:
      throw new UnknownCommandError(baseOffset - 1, command);
  }
}

function decodeFirmware(data: ArrayLike<number>, base: number): FirmwareReport {
  if (data.length < 2 || data.length % 2 !== 0) {
    throw new MessageLengthError(base + data.length, FirmataSysex.REPORT_FIRMWARE, '2 + an even number of', data.length);
  }
  let name = '';
  for (let i = 2; i < data.length; i += 2) name += String.fromCharCode(data[i] | (data[i + 1] << 7));
  return { kind: 'firmware', major: data[0], minor: data[1], name };
}

function decodeCapability(data: ArrayLike<number>, base: number): CapabilityResponse {
  const pins: PinCapability[][] = [];
  let current: PinCapability[] = [];
  let i = 0;
  while (i < data.length) {
    if (data[i] === Layout.CAPABILITY_PIN_END) {
      pins.push(current);
      current = [];
      i += 1;
    } else if (i + 1 < data.length) {
      current.push({ mode: data[i], resolution: data[i + 1] });
      i += 2;
    } else {
      break;
    }
  }
  if (i !== data.length || current.length > 0) {
    throw new FieldValueError(base + i, 'capability response', `pin ${pins.length} is not terminated by 0x7F`);
  }
  return { kind: 'capability', pins };
}

function decodePinState(data: ArrayLike<number>, base: number): PinStateResponse {
  if (data.length < 3 || data.length > 6) {
    throw new MessageLengthError(base + Math.min(data.length, 6), FirmataSysex.PIN_STATE_RESPONSE, '3..6', data.length);
  }
  let state = 0;
  for (let i = data.length - 1; i >= 2; i--) state = state * 128 + data[i];
  return { kind: 'pin-state', pin: data[0], mode: data[1], state };
}

function decodeClassifyReply(data: ArrayLike<number>, base: number): ClassifyReply {
  const { seq, payload } = decodeEdSysexBody(EdSysex.CLASSIFY_REPLY, data, Layout.CLASSIFY_REPLY_PAYLOAD_LEN, base);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const logits = new Int8Array(Layout.CLASS_COUNT);
  for (let k = 0; k < Layout.CLASS_COUNT; k++) logits[k] = view.getInt8(2 + k);
  const digit = payload[1];
  // A digit outside 0..9 can only come from a board bug (the CRC already vouches for the bytes).
  if (digit >= Layout.CLASS_COUNT) {
    throw new FieldValueError(base, 'classify-reply.digit', `${digit} is not a class index 0..${Layout.CLASS_COUNT - 1}`);
  }
  return {
    kind: 'classify-reply',
    seq,
    status: payload[0],
    digit,
    logits,
    inferenceMicros: view.getUint32(2 + Layout.CLASS_COUNT, true),
  };
}

function decodeProtocolInfo(data: ArrayLike<number>, base: number): ProtocolInfoReply {
  const { seq, payload: p } = decodeEdSysexBody(EdSysex.PROTOCOL_INFO_REPLY, data, Layout.PROTOCOL_INFO_REPLY_PAYLOAD_LEN, base);
  return {
    kind: 'protocol-info',
    seq,
    protocolMajor: p[0],
    protocolMinor: p[1],
    maxSysexBody: p[2] | (p[3] << 8),
    imageWidth: p[4],
    imageHeight: p[5],
    classCount: p[6],
  };
}

function decodeErrorReply(data: ArrayLike<number>, base: number): ErrorReply {
  const { seq, payload: p } = decodeEdSysexBody(EdSysex.ERROR_REPLY, data, Layout.ERROR_REPLY_PAYLOAD_LEN, base);
  // Unknown flag bits are ignored: a minor protocol version may add flags.
  const seqValid = (p[1] & ErrorFlag.SEQ_VALID) !== 0;
  if (!seqValid && seq !== 0) throw new FieldValueError(base, 'error-reply.seq', `${seq} sent without the SEQ_VALID flag`);
  return {
    kind: 'error-reply',
    seq: seqValid ? seq : null,
    reason: p[0],
    command: p[2],
    receivedLength: p[3] | (p[4] << 8),
    offendingByte: p[5],
  };
}
