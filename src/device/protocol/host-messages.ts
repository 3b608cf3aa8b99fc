/** Encoders for every host -> board message. Arguments are validated; a bad one throws a RangeError naming it. */
import { encodeEdSysex } from './frame.js';
import { EdSysex, FirmataCommand, FirmataSysex, Layout } from './ids.js';

function assertRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer ${min}..${max}, got ${value}`);
  }
}

function emptySysex(id: number): Uint8Array {
  return Uint8Array.of(FirmataCommand.START_SYSEX, id, FirmataCommand.END_SYSEX);
}

/** F9: the board answers F9 major minor. */
export function encodeReportVersionQuery(): Uint8Array {
  return Uint8Array.of(FirmataCommand.REPORT_VERSION);
}

export function encodeFirmwareQuery(): Uint8Array {
  return emptySysex(FirmataSysex.REPORT_FIRMWARE);
}

export function encodeCapabilityQuery(): Uint8Array {
  return emptySysex(FirmataSysex.CAPABILITY_QUERY);
}

export function encodeAnalogMappingQuery(): Uint8Array {
  return emptySysex(FirmataSysex.ANALOG_MAPPING_QUERY);
}

export function encodePinStateQuery(pin: number): Uint8Array {
  assertRange(pin, 0, 127, 'encodePinStateQuery: pin');
  return Uint8Array.of(FirmataCommand.START_SYSEX, FirmataSysex.PIN_STATE_QUERY, pin, FirmataCommand.END_SYSEX);
}

export function encodeSetPinMode(pin: number, mode: number): Uint8Array {
  assertRange(pin, 0, 127, 'encodeSetPinMode: pin');
  assertRange(mode, 0, 127, 'encodeSetPinMode: mode');
  return Uint8Array.of(FirmataCommand.SET_PIN_MODE, pin, mode);
}

export function encodeSetDigitalPinValue(pin: number, value: 0 | 1): Uint8Array {
  assertRange(pin, 0, 127, 'encodeSetDigitalPinValue: pin');
  assertRange(value, 0, 1, 'encodeSetDigitalPinValue: value');
  return Uint8Array.of(FirmataCommand.SET_DIGITAL_PIN_VALUE, pin, value);
}

/** Writes the 8 pins of `port` (pins 8·port … 8·port+7) at once; bit i of `portValue` is pin 8·port+i. */
export function encodeDigitalMessage(port: number, portValue: number): Uint8Array {
  assertRange(port, 0, 15, 'encodeDigitalMessage: port');
  assertRange(portValue, 0, 0xff, 'encodeDigitalMessage: portValue');
  return Uint8Array.of(FirmataCommand.DIGITAL_MESSAGE | port, portValue & 0x7f, portValue >> 7);
}

export function encodeReportDigital(port: number, enable: boolean): Uint8Array {
  assertRange(port, 0, 15, 'encodeReportDigital: port');
  return Uint8Array.of(FirmataCommand.REPORT_DIGITAL | port, enable ? 1 : 0);
}

export function encodeReportAnalog(channel: number, enable: boolean): Uint8Array {
  assertRange(channel, 0, 15, 'encodeReportAnalog: channel');
  return Uint8Array.of(FirmataCommand.REPORT_ANALOG | channel, enable ? 1 : 0);
}

export function encodeSystemReset(): Uint8Array {
  return Uint8Array.of(FirmataCommand.SYSTEM_RESET);
}

/** `pixels`: 784 uint8, row-major 28×28, 0 = background (the same input the simulator takes). */
export function encodeClassifyRequest(seq: number, pixels: Uint8Array): Uint8Array {
  if (!(pixels instanceof Uint8Array) || pixels.length !== Layout.PIXEL_COUNT) {
    const got = pixels instanceof Uint8Array ? `${pixels.length} bytes` : typeof pixels;
    throw new RangeError(`encodeClassifyRequest: pixels must be a Uint8Array of ${Layout.PIXEL_COUNT} bytes, got ${got}`);
  }
  return encodeEdSysex(EdSysex.CLASSIFY_REQUEST, seq, pixels);
}

export function encodeProtocolInfoQuery(seq: number): Uint8Array {
  return encodeEdSysex(EdSysex.PROTOCOL_INFO_QUERY, seq, new Uint8Array(0));
}
