/**
 * One error class per way board->host bytes can be wrong. `offset` is a byte offset: from the start of the stream
 * for BoardMessageDecoder, from the first data byte after the sysex ID for decodeSysexBody (unless the caller
 * passes a base offset).
 */
export class ProtocolError extends Error {
  constructor(readonly offset: number, detail: string) {
    super(`${detail} (at byte offset ${offset})`);
    this.name = 'ProtocolError';
  }
}

/** Bytes that belong to no message: data bytes outside a frame or a status byte the board never sends. */
export class UnexpectedByteError extends ProtocolError {
  constructor(offset: number, readonly bytes: Uint8Array) {
    super(offset, `${bytes.length} unexpected byte(s) outside any message, starting with ${hex(bytes[0])}`);
    this.name = 'UnexpectedByteError';
  }
}

/** A byte >= 0x80 other than END_SYSEX inside a sysex frame, or a status byte cutting a MIDI message short. */
export class StrayStatusByteError extends ProtocolError {
  constructor(offset: number, readonly byte: number, readonly command: number, readonly receivedDataBytes: number) {
    super(offset, `status byte ${hex(byte)} interrupted ${hex(command)} after ${receivedDataBytes} data byte(s)`);
    this.name = 'StrayStatusByteError';
  }
}

export class MessageLengthError extends ProtocolError {
  constructor(offset: number, readonly command: number, readonly expected: string, readonly actual: number) {
    super(offset, `${hex(command)} carries ${expected} data byte(s), got ${actual}`);
    this.name = 'MessageLengthError';
  }
}

export class OverflowError extends ProtocolError {
  constructor(offset: number, readonly command: number, readonly limit: number) {
    super(offset, `sysex ${hex(command)} is longer than ${limit} data bytes without END_SYSEX`);
    this.name = 'OverflowError';
  }
}

export class CrcMismatchError extends ProtocolError {
  constructor(offset: number, readonly command: number, readonly received: number, readonly computed: number) {
    super(offset, `sysex ${hex(command)} CRC mismatch: frame says ${hex16(received)}, payload gives ${hex16(computed)}`);
    this.name = 'CrcMismatchError';
  }
}

export class UnknownCommandError extends ProtocolError {
  constructor(offset: number, readonly command: number) {
    super(offset, `unknown sysex command ${hex(command)}`);
    this.name = 'UnknownCommandError';
  }
}

/** A field whose value is outside what the protocol allows (bad padding, odd name length, digit >= 10, ...). */
export class FieldValueError extends ProtocolError {
  constructor(offset: number, readonly field: string, detail: string) {
    super(offset, `${field}: ${detail}`);
    this.name = 'FieldValueError';
  }
}

export function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function hex16(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(4, '0')}`;
}
