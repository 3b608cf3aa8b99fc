/**
 * Host side of the edge-digits serial protocol (Firmata subset + classify sysex extension): pure encoders and
 * decoders, no I/O. The wire format is specified in docs/protocol.md.
 */
export {
  ClassifyStatus,
  EdSysex,
  ErrorFlag,
  ErrorReason,
  FirmataCommand,
  FirmataSysex,
  FirmataVersion,
  Layout,
  PinMode,
  ProtocolVersion,
  classifyStatusName,
  errorReasonName,
  protocolConstantGroups,
  type ClassifyStatusValue,
  type ConstantGroup,
  type ConstantSpec,
  type ErrorReasonValue,
  type PinModeValue,
} from './ids.js';
export { Sysex7Error, packSysex7, packedLength, unpackSysex7, unpackedLength } from './sysex7.js';
export { CRC16_CHECK_VALUE, crc16CcittFalse } from './crc16.js';
export {
  CrcMismatchError,
  FieldValueError,
  MessageLengthError,
  OverflowError,
  ProtocolError,
  StrayStatusByteError,
  UnexpectedByteError,
  UnknownCommandError,
} from './errors.js';
export { decodeEdSysexBody, edBodyLength, edFrameCrc, encodeEdSysex, type EdFrame } from './frame.js';
export {
  encodeAnalogMappingQuery,
  encodeCapabilityQuery,
  encodeClassifyRequest,
  encodeDigitalMessage,
  encodeFirmwareQuery,
  encodePinStateQuery,
  encodeProtocolInfoQuery,
  encodeReportAnalog,
  encodeReportDigital,
  encodeReportVersionQuery,
  encodeSetDigitalPinValue,
  encodeSetPinMode,
  encodeSystemReset,
} from './host-messages.js';
export {
  decodeSysexBody,
  encodeBoardMessage,
  type AnalogMappingResponse,
  type AnalogReport,
  type BoardMessage,
  type CapabilityResponse,
  type ClassifyReply,
  type DigitalReport,
  type ErrorReply,
  type FirmwareReport,
  type PinCapability,
  type PinStateResponse,
  type ProtocolInfoReply,
  type VersionReport,
} from './board-messages.js';
export { BoardMessageDecoder, MAX_BOARD_SYSEX_BODY, type DecodeResult } from './decoder.js';
