/**
 * The one source of truth for every number on the wire: Firmata command bytes and sysex IDs, pin modes, the
 * edge-digits classify extension IDs, status and reason codes, and message sizes. The C header
 * firmware-gen/protocol/ed_protocol_ids.h is generated from `protocolConstantGroups` (generate-ids.ts), so the
 * board and the host can never disagree on a value. It lives with the board's protocol core; the host
 * (src/device/protocol) re-exports it, so the dependency runs downstream only.
 */

/** Sysex bytes that carry `byteCount` bytes in the 7-bit packing (docs/protocol.md §3): ⌈8n/7⌉. */
function packedLength(byteCount: number): number {
  return Math.ceil((byteCount * 8) / 7);
}

export interface ConstantSpec {
  readonly value: number;
  readonly doc: string;
  /** Overrides the group's radix in the C header. */
  readonly radix?: 'hex' | 'dec';
}

/** A named set of constants; `cPrefix` + member name is the C macro name, `radix` how the value is printed. */
export interface ConstantGroup {
  readonly title: string;
  readonly cPrefix: string;
  readonly radix: 'hex' | 'dec';
  readonly members: Readonly<Record<string, ConstantSpec>>;
}

type ValuesOf<M extends Readonly<Record<string, ConstantSpec>>> = { readonly [K in keyof M]: M[K]['value'] };

function valuesOf<M extends Readonly<Record<string, ConstantSpec>>>(members: M): ValuesOf<M> {
  const out: Record<string, number> = {};
  for (const [name, spec] of Object.entries(members)) out[name] = spec.value;
  return out as ValuesOf<M>;
}

// ---- versions ---------------------------------------------------------------------------------------------

const protocolVersionSpecs = {
  MAJOR: { value: 1, doc: 'edge-digits sysex extension: bumped on any incompatible change to an ID, layout or CRC' },
  MINOR: { value: 0, doc: 'bumped on backward-compatible additions (new commands, status or reason codes)' },
} as const satisfies Record<string, ConstantSpec>;

const firmataVersionSpecs = {
  MAJOR: { value: 2, doc: 'Firmata protocol version answered to REPORT_VERSION' },
  MINOR: { value: 5, doc: '2.5 added SET_DIGITAL_PIN_VALUE, the newest core message we implement' },
} as const satisfies Record<string, ConstantSpec>;

// ---- Firmata core ------------------------------------------------------------------------------------------

const firmataCommandSpecs = {
  DIGITAL_MESSAGE: { value: 0x90, doc: 'digital port value, low nibble = port; 2 data bytes (bits 0-6, bit 7)' },
  REPORT_ANALOG: { value: 0xc0, doc: 'enable/disable analog channel reporting, low nibble = channel; 1 data byte' },
  REPORT_DIGITAL: { value: 0xd0, doc: 'enable/disable digital port reporting, low nibble = port; 1 data byte' },
  ANALOG_MESSAGE: { value: 0xe0, doc: 'analog channel value, low nibble = channel; 2 data bytes (bits 0-6, 7-13)' },
  START_SYSEX: { value: 0xf0, doc: 'starts a sysex frame: F0 <id> <7-bit data...> F7' },
  SET_PIN_MODE: { value: 0xf4, doc: 'set pin mode; data: pin, mode' },
  SET_DIGITAL_PIN_VALUE: { value: 0xf5, doc: 'set one output pin; data: pin, value (0/1)' },
  END_SYSEX: { value: 0xf7, doc: 'ends a sysex frame' },
  REPORT_VERSION: { value: 0xf9, doc: 'host query (no data) and board reply (major, minor)' },
  SYSTEM_RESET: { value: 0xff, doc: 'reset pin modes, reporting and the parser' },
} as const satisfies Record<string, ConstantSpec>;

const firmataSysexSpecs = {
  ANALOG_MAPPING_QUERY: { value: 0x69, doc: 'host asks which pins carry analog channels' },
  ANALOG_MAPPING_RESPONSE: { value: 0x6a, doc: 'one byte per pin: analog channel or 0x7F' },
  CAPABILITY_QUERY: { value: 0x6b, doc: 'host asks for every pin\'s modes and resolutions' },
  CAPABILITY_RESPONSE: { value: 0x6c, doc: '(mode, resolution)* 0x7F per pin' },
  PIN_STATE_QUERY: { value: 0x6d, doc: 'host asks one pin\'s mode and state; data: pin' },
  PIN_STATE_RESPONSE: { value: 0x6e, doc: 'pin, mode, state in 7-bit groups' },
  REPORT_FIRMWARE: { value: 0x79, doc: 'query (empty) and reply (major, minor, name as 7-bit LSB/MSB pairs)' },
} as const satisfies Record<string, ConstantSpec>;

const pinModeSpecs = {
  INPUT: { value: 0x00, doc: 'digital input' },
  OUTPUT: { value: 0x01, doc: 'digital output' },
  ANALOG: { value: 0x02, doc: 'analog input' },
  PWM: { value: 0x03, doc: 'PWM output' },
  SERVO: { value: 0x04, doc: 'servo output' },
  SHIFT: { value: 0x05, doc: 'shift register' },
  I2C: { value: 0x06, doc: 'I2C' },
  ONEWIRE: { value: 0x07, doc: 'OneWire' },
  STEPPER: { value: 0x08, doc: 'stepper' },
  ENCODER: { value: 0x09, doc: 'rotary encoder' },
  SERIAL: { value: 0x0a, doc: 'UART pin' },
  PULLUP: { value: 0x0b, doc: 'digital input with pull-up' },
} as const satisfies Record<string, ConstantSpec>;

// ---- edge-digits extension ---------------------------------------------------------------------------------

const edSysexSpecs = {
  CLASSIFY_REQUEST: { value: 0x01, doc: 'host -> board: seq, 784 packed pixels, CRC' },
  CLASSIFY_REPLY: { value: 0x02, doc: 'board -> host: seq, status, digit, 10 logits, inference us, CRC' },
  PROTOCOL_INFO_QUERY: { value: 0x03, doc: 'host -> board: seq, CRC (ping)' },
  PROTOCOL_INFO_REPLY: { value: 0x04, doc: 'board -> host: seq, protocol version, limits, CRC' },
  ERROR_REPLY: { value: 0x0f, doc: 'board -> host: why a frame was rejected, CRC' },
} as const satisfies Record<string, ConstantSpec>;

const classifyStatusSpecs = {
  OK: { value: 0, doc: 'digit and logits are valid' },
  ENGINE_FAILED: { value: 1, doc: 'the inference engine returned an error or a digit >= CLASS_COUNT' },
  NO_ENGINE: { value: 2, doc: 'the firmware was built without an inference engine' },
} as const satisfies Record<string, ConstantSpec>;

const errorReasonSpecs = {
  BAD_CRC: { value: 1, doc: 'CRC mismatch; seq is the received (unverified) one' },
  BAD_LENGTH: { value: 2, doc: 'frame ended with the wrong body length for its command' },
  UNKNOWN_COMMAND: { value: 3, doc: 'sysex ID the board does not implement; never carries seq' },
  OVERFLOW: { value: 4, doc: 'sysex body longer than the receive buffer' },
  STRAY_STATUS_BYTE: { value: 5, doc: 'a byte >= 0x80 other than F7 inside a sysex frame' },
} as const satisfies Record<string, ConstantSpec>;

const errorFlagSpecs = {
  SEQ_VALID: { value: 0x01, doc: 'the seq field holds the sequence number of the rejected request' },
} as const satisfies Record<string, ConstantSpec>;

// ---- sizes -------------------------------------------------------------------------------------------------

const IMAGE_WIDTH = 28;
const IMAGE_HEIGHT = 28;
const PIXEL_COUNT = IMAGE_WIDTH * IMAGE_HEIGHT;
const CLASS_COUNT = 10;
const SEQ_BYTES = 2;
const CRC_BYTES = 3;
/** status, digit, logits, inference time (uint32). */
const CLASSIFY_REPLY_PAYLOAD_LEN = 1 + 1 + CLASS_COUNT + 4;
/** major, minor, max body length (uint16), width, height, classes. */
const PROTOCOL_INFO_REPLY_PAYLOAD_LEN = 7;
/** reason, flags, command, received length (uint16), offending byte. */
const ERROR_REPLY_PAYLOAD_LEN = 6;

function bodyLength(payloadLength: number): number {
  return SEQ_BYTES + packedLength(payloadLength) + CRC_BYTES;
}

const CLASSIFY_REQUEST_BODY_LEN = bodyLength(PIXEL_COUNT);

const layoutSpecs = {
  IMAGE_WIDTH: { value: IMAGE_WIDTH, doc: 'input image columns' },
  IMAGE_HEIGHT: { value: IMAGE_HEIGHT, doc: 'input image rows' },
  PIXEL_COUNT: { value: PIXEL_COUNT, doc: 'uint8 pixels per classify request, row-major' },
  CLASS_COUNT: { value: CLASS_COUNT, doc: 'int8 logits per classify reply' },
  SEQ_MAX: { value: 0x3fff, radix: 'hex', doc: 'sequence numbers are 14-bit: two 7-bit bytes, LSB first' },
  SEQ_BYTES: { value: SEQ_BYTES, doc: 'sysex bytes carrying the sequence number' },
  CRC_BYTES: { value: CRC_BYTES, doc: 'sysex bytes carrying the CRC-16 (bits 0-6, 7-13, 14-15)' },
  CRC_INIT: { value: 0xffff, radix: 'hex', doc: 'CRC-16/CCITT-FALSE initial value' },
  CRC_POLY: { value: 0x1021, radix: 'hex', doc: 'CRC-16/CCITT-FALSE polynomial (MSB-first, no reflection, no final xor)' },
  CLASSIFY_REQUEST_BODY_LEN: { value: CLASSIFY_REQUEST_BODY_LEN, doc: 'sysex data bytes after the ID' },
  CLASSIFY_REPLY_PAYLOAD_LEN: { value: CLASSIFY_REPLY_PAYLOAD_LEN, doc: 'unpacked reply payload bytes' },
  CLASSIFY_REPLY_BODY_LEN: { value: bodyLength(CLASSIFY_REPLY_PAYLOAD_LEN), doc: 'sysex data bytes after the ID' },
  PROTOCOL_INFO_QUERY_BODY_LEN: { value: bodyLength(0), doc: 'sysex data bytes after the ID' },
  PROTOCOL_INFO_REPLY_PAYLOAD_LEN: { value: PROTOCOL_INFO_REPLY_PAYLOAD_LEN, doc: 'unpacked payload bytes' },
  PROTOCOL_INFO_REPLY_BODY_LEN: { value: bodyLength(PROTOCOL_INFO_REPLY_PAYLOAD_LEN), doc: 'sysex data bytes after the ID' },
  ERROR_REPLY_PAYLOAD_LEN: { value: ERROR_REPLY_PAYLOAD_LEN, doc: 'unpacked payload bytes' },
  ERROR_REPLY_BODY_LEN: { value: bodyLength(ERROR_REPLY_PAYLOAD_LEN), doc: 'sysex data bytes after the ID' },
  MAX_SYSEX_BODY_LEN: { value: CLASSIFY_REQUEST_BODY_LEN, doc: 'board receive buffer: the largest request body' },
  NO_ANALOG_CHANNEL: { value: 0x7f, radix: 'hex', doc: 'analog mapping entry of a pin without an analog channel' },
  CAPABILITY_PIN_END: { value: 0x7f, radix: 'hex', doc: 'ends one pin\'s (mode, resolution) list in a capability response' },
  NO_COMMAND: { value: 0xff, radix: 'hex', doc: 'error reply command field when the frame ended before its sysex ID' },
} as const satisfies Record<string, ConstantSpec>;

// ---- exports -----------------------------------------------------------------------------------------------

export const ProtocolVersion = valuesOf(protocolVersionSpecs);
export const FirmataVersion = valuesOf(firmataVersionSpecs);
export const FirmataCommand = valuesOf(firmataCommandSpecs);
export const FirmataSysex = valuesOf(firmataSysexSpecs);
export const PinMode = valuesOf(pinModeSpecs);
export const EdSysex = valuesOf(edSysexSpecs);
export const ClassifyStatus = valuesOf(classifyStatusSpecs);
export const ErrorReason = valuesOf(errorReasonSpecs);
export const ErrorFlag = valuesOf(errorFlagSpecs);
export const Layout = valuesOf(layoutSpecs);

export type PinModeValue = (typeof PinMode)[keyof typeof PinMode];
export type ClassifyStatusValue = (typeof ClassifyStatus)[keyof typeof ClassifyStatus];
export type ErrorReasonValue = (typeof ErrorReason)[keyof typeof ErrorReason];

/** Every group, in the order the C header lists them. */
export const protocolConstantGroups: readonly ConstantGroup[] = [
  { title: 'edge-digits sysex extension version', cPrefix: 'ED_PROTOCOL_VERSION_', radix: 'dec', members: protocolVersionSpecs },
  { title: 'Firmata protocol version reported by the board', cPrefix: 'ED_FIRMATA_VERSION_', radix: 'dec', members: firmataVersionSpecs },
  { title: 'Firmata command (status) bytes', cPrefix: 'ED_CMD_', radix: 'hex', members: firmataCommandSpecs },
  { title: 'Firmata core sysex IDs', cPrefix: 'ED_SYSEX_', radix: 'hex', members: firmataSysexSpecs },
  { title: 'edge-digits sysex IDs (Firmata user range 0x01-0x0F)', cPrefix: 'ED_SYSEX_', radix: 'hex', members: edSysexSpecs },
  { title: 'Firmata pin modes', cPrefix: 'ED_MODE_', radix: 'hex', members: pinModeSpecs },
  { title: 'classify reply status codes', cPrefix: 'ED_STATUS_', radix: 'dec', members: classifyStatusSpecs },
  { title: 'error reply reason codes', cPrefix: 'ED_ERR_', radix: 'dec', members: errorReasonSpecs },
  { title: 'error reply flag bits', cPrefix: 'ED_ERR_FLAG_', radix: 'hex', members: errorFlagSpecs },
  { title: 'sizes and layout', cPrefix: 'ED_', radix: 'dec', members: layoutSpecs },
];

/** Name of a reason code for messages, e.g. "BAD_CRC"; unknown codes are shown in hex. */
export function errorReasonName(reason: number): string {
  return nameOf(errorReasonSpecs, reason);
}

export function classifyStatusName(status: number): string {
  return nameOf(classifyStatusSpecs, status);
}

function nameOf(members: Readonly<Record<string, ConstantSpec>>, value: number): string {
  const found = Object.entries(members).find(([, spec]) => spec.value === value);
  return found ? found[0] : `0x${value.toString(16).padStart(2, '0')}`;
}
