/**
 * The golden vectors in test/fixtures/protocol: committed files match the generator, every expected reply decodes
 * to the messages the case lists, every well-formed request decodes back to what it asks, and firmata-io — the
 * parser johnny-five really uses — reaches `ready` on the handshake replies and hands classify replies to a
 * sysexResponse handler that decodeSysexBody understands.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BoardMessageDecoder,
  EdSysex,
  Layout,
  decodeEdSysexBody,
  decodeSysexBody,
  type BoardMessage,
} from '../src/device/protocol/index.js';
import {
  FIXTURE_DIR,
  buildFixtures,
  renderFixture,
  sevenPixels,
  toFixtureMessage,
  zeroPixels,
  type FixtureBoard,
  type FixtureCase,
  type FixtureFile,
} from './fixtures/protocol/generate.js';

const CASE_FILES = ['firmata.json', 'classify.json', 'errors.json'] as const;

function committed<T>(file: string): T {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}${file}`, 'utf8')) as T;
}

const cases: FixtureCase[] = CASE_FILES.flatMap((f) => committed<FixtureFile>(f).cases);
const board = committed<FixtureBoard>('board.json');
const bytesOf = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

function decodeOutput(hex: string): BoardMessage[] {
  const d = new BoardMessageDecoder();
  return [...d.push(bytesOf(hex)), ...d.flush()].map((r) => {
    if (!r.ok) throw r.error;
    return r.message;
  });
}

function caseNamed(name: string): FixtureCase {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`fixture case ${name} is missing`);
  return c;
}

describe('protocol fixtures', () => {
  it('are up to date with test/fixtures/protocol/generate.ts', () => {
    for (const [file, value] of Object.entries(buildFixtures())) {
      expect(readFileSync(`${FIXTURE_DIR}${file}`, 'utf8'), `${file} is stale: run npx tsx test/fixtures/protocol/generate.ts`).toBe(renderFixture(value));
    }
  });

  it('have unique case names and cover every board -> host message kind and every reason code', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const messages = cases.flatMap((c) => c.messages);
    const kinds = new Set(messages.map((m) => m.kind));
    for (const k of ['version', 'firmware', 'capability', 'analog-mapping', 'pin-state', 'digital', 'analog', 'classify-reply', 'protocol-info', 'error-reply']) {
      expect(kinds, k).toContain(k);
    }
    const reasons = new Set(messages.flatMap((m) => (m.kind === 'error-reply' ? [m.reason] : [])));
    expect([...reasons].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: the expected output decodes to the listed messages', (_, c) => {
    expect(decodeOutput(c.output).map(toFixtureMessage)).toEqual(c.messages);
  });

  it('carry well-formed classify requests whose pixels and seq decode back', () => {
    const patterns: Record<string, Uint8Array> = {
      'classify-seven': sevenPixels(),
      'classify-zero': zeroPixels(),
      'classify-all-white-max-seq': new Uint8Array(Layout.PIXEL_COUNT).fill(0xff),
    };
    for (const [name, pixels] of Object.entries(patterns)) {
      const step = caseNamed(name).steps[0];
      if (!('feed' in step)) throw new Error(`${name} starts without bytes`);
      const frame = bytesOf(step.feed);
      expect(frame.length).toBe(Layout.CLASSIFY_REQUEST_BODY_LEN + 3);
      const { seq, payload } = decodeEdSysexBody(EdSysex.CLASSIFY_REQUEST, frame.subarray(2, -1), Layout.PIXEL_COUNT);
      expect(Buffer.from(payload).equals(Buffer.from(pixels)), name).toBe(true);
      const reply = caseNamed(name).messages[0];
      expect(reply.kind === 'classify-reply' && reply.seq).toBe(seq);
    }
  });
});

// ---- firmata-io (johnny-five's parser) ---------------------------------------------------------------------

interface FirmataPin {
  readonly supportedModes: readonly number[];
  readonly analogChannel: number;
}
interface FirmataBoard extends EventEmitter {
  readonly pins: readonly FirmataPin[];
  readonly analogPins: readonly number[];
  readonly firmware: { readonly name: string; readonly version: { readonly major: number; readonly minor: number } };
  readonly version: { readonly major: number; readonly minor: number };
  sysexResponse(command: number, handler: (data: number[]) => void): void;
  clearSysexResponse(command: number): void;
}
type FirmataConstructor = new (transport: EventEmitter, options: { reportVersionTimeout: number }) => FirmataBoard;

const require = createRequire(import.meta.url);
const { Firmata } = require('firmata-io') as { Firmata: FirmataConstructor };

/** A transport answering each host write with the fixture reply of the single-request case it matches. */
class FixtureTransport extends EventEmitter {
  readonly replies = new Map<string, string>();
  readonly unanswered: string[] = [];

  constructor() {
    super();
    for (const name of ['report-version-query', 'firmware-query', 'capability-query', 'analog-mapping-query']) {
      const c = caseNamed(name);
      const step = c.steps[0];
      if ('feed' in step) this.replies.set(step.feed, c.output);
    }
  }

  write(data: Buffer, done?: () => void): void {
    const hex = data.toString('hex');
    const reply = this.replies.get(hex);
    if (reply === undefined) this.unanswered.push(hex);
    else setImmediate(() => this.emit('data', Buffer.from(reply, 'hex')));
    done?.();
  }

  feed(hex: string): void {
    this.emit('data', Buffer.from(hex, 'hex'));
  }
}

function readyBoard(): Promise<{ io: FirmataBoard; transport: FixtureTransport }> {
  const transport = new FixtureTransport();
  const io = new Firmata(transport, { reportVersionTimeout: 20 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`firmata-io never became ready; unanswered writes: ${transport.unanswered.join(', ')}`)), 3000);
    io.once('ready', () => {
      clearTimeout(timer);
      resolve({ io, transport });
    });
  });
}

describe('fixture replies through firmata-io', () => {
  it('complete the johnny-five readiness handshake with the board\'s pins and firmware', async () => {
    const { io } = await readyBoard();
    expect(io.version).toEqual({ major: 2, minor: 5 });
    expect(io.firmware.name).toBe(board.firmwareName);
    expect(io.pins.length).toBe(board.pins.length);
    expect(io.pins.map((p) => [...p.supportedModes].sort((a, b) => a - b))).toEqual(board.pins.map((p) => [...p.modes].sort((a, b) => a - b)));
    expect(io.analogPins).toEqual(board.pins.flatMap((p, i) => (p.analogChannel !== Layout.NO_ANALOG_CHANNEL ? [i] : [])));
  });

  it('deliver classify and error replies to sysexResponse handlers that decodeSysexBody understands', async () => {
    const { io, transport } = await readyBoard();
    const got: BoardMessage[] = [];
    for (const id of [EdSysex.CLASSIFY_REPLY, EdSysex.ERROR_REPLY]) {
      io.sysexResponse(id, (data) => got.push(decodeSysexBody(id, data)));
    }
    try {
      const expected = ['classify-seven', 'bad-crc-pixel-bit'].map((name) => {
        const c = caseNamed(name);
        transport.feed(c.output);
        return c.messages[0];
      });
      expect(got.map(toFixtureMessage)).toEqual(expected);
    } finally {
      io.clearSysexResponse(EdSysex.CLASSIFY_REPLY);
      io.clearSysexResponse(EdSysex.ERROR_REPLY);
    }
  });
});
