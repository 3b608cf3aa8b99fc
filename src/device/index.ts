/**
 * src/device: talking to a board running edge-digits firmware — the johnny-five/firmata-io/serialport stack with
 * the classify extension on top (DigitBoard), the batch runner every engine shares, the virtual board (posix
 * target as a child process) and the QEMU board. The wire format itself lives in ./protocol.
 */
export {
  DigitBoard,
  type BoardClassification, type BoardIdentity, type ClassifyOutcome, type DigitBoardOptions, type DigitBoardStats, type LinkStatus, type ReconnectOptions,
  byteMsAt,
} from './digit-board.js';
export { classifyImages, runImagesOnBoard, type BoardRun, type ClassifyImagesOptions } from './board-run.js';
export {
  BoardLinkError, BoardProtocolError, ClassifyFailedError, DisconnectedError, IncompatibleBoardError, TimeoutError,
} from './errors.js';
export { RequestTracker, systemTimers, type Answered, type RequestTrackerOptions, type Timers, type TimerHandle, type TrackerStats } from './request-tracker.js';
export { FrameGate, analogMappingProblem, capabilityProblem, MAX_BOARD_SYSEX_BODY, type ExtensionMessage, type FrameGateOptions, type FrameGateStats, type PinTable } from './frame-gate.js';
export { openFirmataConnection, type FirmataConnection, type FirmataConnectionOptions, type FirmataIo, type J5Board } from './firmata-connection.js';
export {
  startVirtualBoard, parsePinLog, parsePortLine, VirtualBoardError, type PinEvent, type VirtualBoard, type VirtualBoardOptions,
} from './virtual-board.js';
export * from './qemu-board.js';
export * from './qemu-probes.js';
export * from './qemu-cycles.js';
