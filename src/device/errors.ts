/**
 * Errors of the board link, one class per kind. Each names the serial port and the command it concerns, so a
 * message read out of context ("TimeoutError: /dev/ttyACM0: CLASSIFY_REQUEST seq 17: …") still says what failed
 * where. (Malformed bytes are the codec's ProtocolError family in ./protocol; these are about requests.)
 */
export class BoardLinkError extends Error {
  constructor(readonly port: string, readonly command: string, detail: string) {
    super(`${port}: ${command}: ${detail}`);
    this.name = 'BoardLinkError';
  }
}

/** No valid reply to a request within its timeout, on every attempt; or the Firmata handshake did not finish. */
export class TimeoutError extends BoardLinkError {
  constructor(port: string, command: string, detail: string) {
    super(port, command, detail);
    this.name = 'TimeoutError';
  }
}

/** The port closed (board reset, unplugged, process killed) and did not come back in time, or the link was closed. */
export class DisconnectedError extends BoardLinkError {
  constructor(port: string, command: string, detail: string) {
    super(port, command, detail);
    this.name = 'DisconnectedError';
  }
}

/** The board kept rejecting a request (error replies such as BAD_CRC on every attempt). */
export class BoardProtocolError extends BoardLinkError {
  constructor(port: string, command: string, detail: string, readonly reason: string) {
    super(port, command, detail);
    this.name = 'BoardProtocolError';
  }
}

/** The board speaks another protocol major version, or expects other images or classes than this host sends. */
export class IncompatibleBoardError extends BoardLinkError {
  constructor(port: string, command: string, detail: string) {
    super(port, command, detail);
    this.name = 'IncompatibleBoardError';
  }
}

/** The board received the image but could not classify it (status ENGINE_FAILED, NO_ENGINE, or a newer code). */
export class ClassifyFailedError extends BoardLinkError {
  constructor(port: string, command: string, detail: string, readonly status: number) {
    super(port, command, detail);
    this.name = 'ClassifyFailedError';
  }
}
