/**
 * The page ↔ host message format of `edge-digits serve`, version 1 (docs/serve-protocol.md). Shared by the
 * server and the browser client, so it imports nothing from Node.
 *
 * - Page → host, binary: one frame per WebSocket message, a 24-byte little-endian header then the pixels
 *   (gray8, width × height bytes) or an encoded image (JPEG/PNG/WebP, decoded on the host).
 * - Page → host, text: JSON control messages `{ "v": 1, "type": "reset" | "ping", ... }`.
 * - Host → page, text: JSON `{ "v": 1, "type": ... }` (welcome, result, dropped, error, board, pong), snake_case.
 */

export const SERVE_PROTOCOL_VERSION = 1;

/** 'E' 'D': the first two bytes of every binary frame message. */
export const FRAME_MAGIC = [0x45, 0x44] as const;
export const FRAME_HEADER_BYTES = 24;

export const FrameEncoding = { GRAY8: 1, IMAGE: 2 } as const;
export type FrameEncodingName = 'gray8' | 'image';

/** Where a frame came from on the page. */
export const FRAME_SOURCES = ['camera', 'pad', 'file', 'other'] as const;
export type FrameSourceName = (typeof FRAME_SOURCES)[number];

export interface FrameHeader {
  readonly encoding: FrameEncodingName;
  /** Chosen by the page, echoed in the reply (u32). */
  readonly id: number;
  /** Gray8: the pixel grid. Image: 0 (the host reads the size from the image). */
  readonly width: number;
  readonly height: number;
  readonly source: FrameSourceName;
  /** Time the page spent getting this frame ready (camera capture → pixels in hand), ms. */
  readonly captureMs: number;
}

export interface FrameMessage {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

/** What the host accepts; sent to the page in `welcome`. */
export interface FrameLimits {
  /** Largest message handled with an error reply; larger ones up to 4× this close the connection (1009). */
  readonly maxMessageBytes: number;
  readonly maxWidth: number;
  readonly maxHeight: number;
  readonly maxPixels: number;
}

export const DEFAULT_LIMITS: FrameLimits = {
  maxMessageBytes: 2 * 1024 * 1024,
  maxWidth: 1920,
  maxHeight: 1920,
  maxPixels: 1280 * 1024,
};

/** A message the host refuses; `code` is what the error reply carries. */
export class FrameFormatError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly id: number | null = null) {
    super(message);
    this.name = 'FrameFormatError';
  }
}

export function encodeFrameMessage(h: FrameHeader, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const dv = new DataView(out.buffer);
  out[0] = FRAME_MAGIC[0];
  out[1] = FRAME_MAGIC[1];
  out[2] = SERVE_PROTOCOL_VERSION;
  out[3] = h.encoding === 'gray8' ? FrameEncoding.GRAY8 : FrameEncoding.IMAGE;
  dv.setUint32(4, h.id >>> 0, true);
  dv.setUint16(8, h.width, true);
  dv.setUint16(10, h.height, true);
  out[12] = FRAME_SOURCES.indexOf(h.source);
  dv.setFloat32(16, h.captureMs, true);
  dv.setUint32(20, payload.length, true);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Checks a binary message against the v1 layout and the limits; throws FrameFormatError naming the byte offset
 * and what was expected. The payload is a view into `bytes`, not a copy.
 */
export function parseFrameMessage(bytes: Uint8Array, limits: FrameLimits): FrameMessage {
  const fail = (code: ErrorCode, why: string, id: number | null = null): never => { throw new FrameFormatError(code, why, id); };
  if (bytes.length > limits.maxMessageBytes) fail('too-large', `message of ${bytes.length} bytes is larger than the ${limits.maxMessageBytes}-byte limit`);
  if (bytes.length < FRAME_HEADER_BYTES) fail('bad-frame', `binary message of ${bytes.length} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte frame header`);
  if (bytes[0] !== FRAME_MAGIC[0] || bytes[1] !== FRAME_MAGIC[1]) fail('bad-frame', `byte 0: expected the frame magic 45 44 ('ED'), got ${hex(bytes[0])} ${hex(bytes[1])}`);
  if (bytes[2] !== SERVE_PROTOCOL_VERSION) fail('unsupported-version', `byte 2: frame format version ${bytes[2]}, this host speaks ${SERVE_PROTOCOL_VERSION}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = dv.getUint32(4, true);
  const enc = bytes[3];
  if (enc !== FrameEncoding.GRAY8 && enc !== FrameEncoding.IMAGE) fail('bad-frame', `byte 3: encoding ${enc}, expected 1 (gray8) or 2 (image)`, id);
  const width = dv.getUint16(8, true);
  const height = dv.getUint16(10, true);
  const sourceIndex = bytes[12];
  if (sourceIndex >= FRAME_SOURCES.length) fail('bad-frame', `byte 12: source ${sourceIndex}, expected 0..${FRAME_SOURCES.length - 1} (${FRAME_SOURCES.join(', ')})`, id);
  if (bytes[13] !== 0 || dv.getUint16(14, true) !== 0) fail('bad-frame', 'bytes 13–15: reserved, must be 0', id);
  const captureMs = dv.getFloat32(16, true);
  if (!(captureMs >= 0 && captureMs < 3_600_000)) fail('bad-frame', `bytes 16–19: capture_ms must be a finite number ≥ 0, got ${captureMs}`, id);
  const length = dv.getUint32(20, true);
  const actual = bytes.length - FRAME_HEADER_BYTES;
  if (length !== actual) fail('bad-frame', `bytes 20–23: payload length ${length}, but ${actual} bytes follow the header`, id);
  const encoding: FrameEncodingName = enc === FrameEncoding.GRAY8 ? 'gray8' : 'image';
  if (encoding === 'gray8') {
    if (width < 1 || height < 1) fail('bad-frame', `bytes 8–11: a gray8 frame needs width and height ≥ 1, got ${width}×${height}`, id);
    checkSize(width, height, limits, id);
    if (length !== width * height) fail('bad-frame', `gray8 ${width}×${height} needs ${width * height} payload bytes, got ${length}`, id);
  } else {
    if (width !== 0 || height !== 0) fail('bad-frame', `bytes 8–11: an image frame carries its own size; width and height must be 0, got ${width}×${height}`, id);
    if (length === 0) fail('bad-frame', 'image frame with an empty payload', id);
  }
  return {
    header: { encoding, id, width, height, source: FRAME_SOURCES[sourceIndex], captureMs },
    payload: bytes.subarray(FRAME_HEADER_BYTES),
  };
}

/** Frame size check, shared with the host's check of decoded images. */
export function checkSize(width: number, height: number, limits: FrameLimits, id: number | null): void {
  if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
    throw new FrameFormatError('too-large', `frame ${width}×${height} exceeds the limits (at most ${limits.maxWidth}×${limits.maxHeight} and ${limits.maxPixels} pixels)`, id);
  }
}

function hex(b: number | undefined): string {
  return b === undefined ? '--' : b.toString(16).padStart(2, '0');
}

// ---- JSON messages ------------------------------------------------------------------------------------------

export type ErrorCode =
  | 'bad-json' | 'bad-message' | 'unknown-type' | 'unsupported-version'
  | 'bad-frame' | 'too-large' | 'bad-image' | 'internal';

export type ClientMessage =
  | { readonly v: 1; readonly type: 'reset' }
  | { readonly v: 1; readonly type: 'ping'; readonly t?: number };

const CLIENT_TYPES = ['reset', 'ping'] as const;

/** A text message from the page, checked; throws FrameFormatError (bad-json, bad-message, unknown-type, …). */
export function parseClientMessage(text: string, limits: FrameLimits): ClientMessage {
  if (text.length > limits.maxMessageBytes) throw new FrameFormatError('too-large', `text message of ${text.length} characters is larger than the ${limits.maxMessageBytes}-byte limit`);
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new FrameFormatError('bad-json', `text message is not JSON: ${(e as Error).message}`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new FrameFormatError('bad-message', `a text message must be a JSON object, got ${Array.isArray(m) ? 'an array' : typeof m === 'object' ? 'null' : typeof m}`);
  const o = m as Record<string, unknown>;
  if (o.v !== SERVE_PROTOCOL_VERSION) {
    throw new FrameFormatError(o.v === undefined ? 'bad-message' : 'unsupported-version', `"v" must be ${SERVE_PROTOCOL_VERSION}, got ${JSON.stringify(o.v) ?? 'nothing'}`);
  }
  if (typeof o.type !== 'string') throw new FrameFormatError('bad-message', `"type" must be a string, got ${JSON.stringify(o.type) ?? 'nothing'}`);
  if (!(CLIENT_TYPES as readonly string[]).includes(o.type)) throw new FrameFormatError('unknown-type', `unknown message type "${o.type.slice(0, 40)}"; expected one of ${CLIENT_TYPES.join(', ')} (frames go as binary messages)`);
  if (o.type === 'ping') {
    if (o.t !== undefined && typeof o.t !== 'number') throw new FrameFormatError('bad-message', `ping: "t" must be a number, got ${JSON.stringify(o.t)}`);
    return o.t === undefined ? { v: 1, type: 'ping' } : { v: 1, type: 'ping', t: o.t as number };
  }
  return { v: 1, type: 'reset' };
}

export interface RectJson { readonly x: number; readonly y: number; readonly width: number; readonly height: number }

export type BoardKind = 'virtual' | 'port' | 'qemu' | 'sim';
export type BoardState = 'connected' | 'reconnecting' | 'lost' | 'closed';

/** The board panel: what it is and how its link is doing. Counters add up over the whole server run. */
export interface BoardStatusJson {
  readonly kind: BoardKind;
  /** Human name: 'virtual board', 'QEMU mps2-an386 (Cortex-M4)', 'board at /dev/ttyACM0', 'simulator'. */
  readonly name: string;
  readonly path: string | null;
  readonly state: BoardState;
  readonly firmware: string | null;
  readonly protocol: string | null;
  /** Successful (re)connections; reconnects = connects − 1. */
  readonly connects: number;
  readonly disconnects: number;
  readonly retries: number;
  readonly timeouts: number;
  readonly corrupt_frames: number;
  readonly in_flight: number;
  /** Tabs connected to this host right now. */
  readonly sessions: number;
  readonly last_error: string | null;
  /** Where the inference time is measured: on the board (its micros()) or on the host (the simulator). */
  readonly inference_clock: 'board' | 'host';
}

export interface TimingJson {
  /** As the page reported it in the frame header. */
  readonly capture_ms: number;
  /** Host: frame received → its turn to be decoded and preprocessed (this tab's earlier frames first). */
  readonly wait_ms: number;
  readonly decode_ms: number;
  readonly preprocess_ms: number;
  /** Waiting for the shared board (fair share between tabs). */
  readonly queue_ms: number;
  /** Request sent → reply from the board, including retries; null when no digit was sent. */
  readonly board_ms: number | null;
  readonly inference_us: number | null;
  /** Frame received → result sent. */
  readonly server_ms: number;
}

export type ServerMessage =
  | {
      readonly v: 1; readonly type: 'welcome'; readonly session: string; readonly protocol: 1;
      /** source_sha256: the float model the artifact was quantized from (as the artifact records it). */
      readonly model: { readonly path: string; readonly source_sha256: string | null };
      readonly board: BoardStatusJson;
      readonly roi: { readonly whole: true } | { readonly fraction: number } | RectJson;
      readonly stable: { readonly window: number; readonly min_confidence: number };
      readonly limits: { readonly max_message_bytes: number; readonly max_width: number; readonly max_height: number; readonly max_pixels: number; readonly max_in_flight: number };
    }
  | {
      readonly v: 1; readonly type: 'result'; readonly id: number; readonly source: FrameSourceName;
      readonly digit: number | null; readonly confidence: number | null;
      readonly probabilities: readonly number[] | null; readonly logits: readonly number[] | null;
      readonly steady: { readonly digit: number | null; readonly votes: number; readonly window: number };
      readonly no_digit: { readonly code: string; readonly reason: string } | null;
      readonly board_error: string | null;
      /** The 28×28 input the board saw, base64 of 784 bytes (0 = background); null when no digit was found. */
      readonly input: string | null;
      readonly geometry: { readonly frame: { readonly width: number; readonly height: number }; readonly roi: RectJson; readonly bbox: RectJson | null };
      readonly timing: TimingJson;
    }
  | { readonly v: 1; readonly type: 'dropped'; readonly id: number; readonly reason: string }
  | { readonly v: 1; readonly type: 'error'; readonly code: ErrorCode; readonly message: string; readonly id: number | null }
  | { readonly v: 1; readonly type: 'board'; readonly board: BoardStatusJson }
  | { readonly v: 1; readonly type: 'pong'; readonly t: number | null };

export type ResultMessage = Extract<ServerMessage, { type: 'result' }>;
export type WelcomeMessage = Extract<ServerMessage, { type: 'welcome' }>;
