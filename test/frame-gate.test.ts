/**
 * The frame gate in front of a real firmata-io parser, fuzzed: a simulated board answers the handshake through a
 * line that drops, flips, inserts and truncates bytes and loses sysex ID bytes, then streams garbage and
 * mangled replies at the ready parser. Nothing may throw, the pin table firmata-io ends up with must be exactly
 * the board's, and only CRC-valid extension messages may come out. No port, no child process: fast.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import { FrameGate, systemTimers, type ExtensionMessage, type PinTable } from '../src/device/index.js';
import {
  EdSysex, FirmataCommand, FirmataSysex, Layout, PinMode, encodeBoardMessage, type BoardMessage, type PinCapability,
} from '../src/device/protocol/index.js';

interface FirmataPin { readonly supportedModes: readonly number[]; readonly analogChannel: number; mode?: number }
interface FirmataIo extends EventEmitter {
  readonly isReady: boolean;
  readonly pins: readonly FirmataPin[];
  readonly analogPins: readonly number[];
  readonly firmware: { readonly name?: string };
  reportVersionTimeoutId?: ReturnType<typeof setTimeout>;
}
const require = createRequire(import.meta.url);
const { Firmata } = require('firmata-io') as { Firmata: new (t: EventEmitter, o: { reportVersionTimeout: number }) => FirmataIo };

// The virtual board's table: D0-D13 (INPUT, OUTPUT, PULLUP), A0-A7 also ANALOG on channels 0-7.
const DIGITAL: PinCapability[] = [PinMode.INPUT, PinMode.OUTPUT, PinMode.PULLUP].map((mode) => ({ mode, resolution: 1 }));
const ANALOG: PinCapability[] = [...DIGITAL.slice(0, 2), { mode: PinMode.ANALOG, resolution: 10 }, DIGITAL[2]];
const PINS = [...Array.from({ length: 14 }, () => DIGITAL), ...Array.from({ length: 8 }, () => ANALOG)];
const CHANNELS = PINS.map((_, i) => (i >= 14 ? i - 14 : Layout.NO_ANALOG_CHANNEL));
const NAME = 'EdgeDigits-fuzz';

function replyTo(write: Uint8Array): BoardMessage | null {
  if (write[0] === FirmataCommand.REPORT_VERSION) return { kind: 'version', major: 2, minor: 5 };
  if (write[0] !== FirmataCommand.START_SYSEX) return null;
  switch (write[1]) {
    case FirmataSysex.REPORT_FIRMWARE: return { kind: 'firmware', major: 1, minor: 0, name: NAME };
    case FirmataSysex.CAPABILITY_QUERY: return { kind: 'capability', pins: PINS };
    case FirmataSysex.ANALOG_MAPPING_QUERY: return { kind: 'analog-mapping', channels: CHANNELS };
    case FirmataSysex.PIN_STATE_QUERY: return write[2] < PINS.length ? { kind: 'pin-state', pin: write[2], mode: 1, state: 1 } : null;
    default: return null;
  }
}

type Mangle = (bytes: Uint8Array) => Uint8Array;

/** One random fault on a message: drop, flip, insert, truncate (lose the F7 and the rest), lose the ID byte. */
function randomFault(random: () => number): Mangle {
  return (bytes) => {
    const out = Array.from(bytes);
    const at = Math.floor(random() * out.length);
    const kind = Math.floor(random() * 5);
    if (kind === 0) out.splice(at, 1);
    else if (kind === 1) out[at] ^= 1 << Math.floor(random() * 8);
    else if (kind === 2) out.splice(at, 0, Math.floor(random() * 256));
    else if (kind === 3) out.length = at;
    else if (out[0] === FirmataCommand.START_SYSEX) out.splice(1, 1);
    return Uint8Array.from(out);
  };
}

interface Rig {
  readonly io: FirmataIo;
  readonly gate: FrameGate;
  readonly extensions: ExtensionMessage[];
  /** Bytes from the board (through the gate). */
  feed(bytes: Uint8Array): void;
  ready(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** firmata-io ← gate ← line ← board; `mangle(n, bytes)` may damage the n-th board reply. */
function rig(mangle: (n: number, bytes: Uint8Array) => Uint8Array, knownPins: PinTable | null = null, marginMs = 5): Rig {
  const transport = new EventEmitter();
  const extensions: ExtensionMessage[] = [];
  let replies = 0;
  let closed = false;
  const gate: FrameGate = new FrameGate({
    timers: systemTimers, byteMs: 0, marginMs, knownPins,
    write: (bytes) => {
      const m = replyTo(bytes);
      if (m) setImmediate(() => { if (!closed) gate.fromBoard(mangle(replies++, encodeBoardMessage(m))); });
    },
    forward: (bytes) => { transport.emit('data', Buffer.from(bytes)); },
    onExtension: (m) => extensions.push(m),
  });
  Object.assign(transport, { write: (data: Buffer, done?: () => void) => { gate.fromHost(Uint8Array.from(data)); done?.(); } });
  const io = new Firmata(transport, { reportVersionTimeout: 1 });
  return {
    io, gate, extensions,
    feed: (bytes) => gate.fromBoard(bytes),
    ready: (timeoutMs) => new Promise((resolve) => {
      if (io.isReady) return resolve(true);
      const t = setTimeout(() => resolve(false), timeoutMs);
      io.once('ready', () => { clearTimeout(t); resolve(true); });
    }),
    close: () => {
      closed = true;
      gate.close();
      if (io.reportVersionTimeoutId !== undefined) clearTimeout(io.reportVersionTimeoutId);
    },
  };
}

function expectBoardTable(io: FirmataIo): void {
  expect(io.pins.map((p) => [...p.supportedModes])).toEqual(PINS.map((modes) => modes.map((m) => m.mode)));
  expect(io.pins.map((p) => p.analogChannel)).toEqual(CHANNELS);
  expect(io.analogPins).toEqual(PINS.flatMap((_, i) => (i >= 14 ? [i] : [])));
  expect(io.firmware.name).toBe(NAME);
}

describe('frame gate + firmata-io', () => {
  it('reaches ready on a clean line with the board\'s table, confirming the pin table with a second reply', async () => {
    const r = rig((_, b) => b, null, 500);
    expect(await r.ready(1000)).toBe(true);
    expectBoardTable(r.io);
    expect(r.gate.stats.confirmations).toBe(3);
    expect(r.gate.stats.queryRetries).toBe(0);
    expect(r.gate.pinTable?.analogMapping).toEqual(CHANNELS);
    r.close();
  });

  it('needs no confirmation when the table equals a known one', async () => {
    const first = rig((_, b) => b);
    await first.ready(1000);
    const table = first.gate.pinTable;
    first.close();
    const r = rig((_, b) => b, table);
    expect(await r.ready(1000)).toBe(true);
    expect(r.gate.stats.confirmations).toBe(0);
    r.close();
  });

  it('one fault in any board reply of the handshake: always ready, always with the exact table (300 seeded runs)', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = createRng(seed);
      const victim = Math.floor(random() * 6);
      const fault = randomFault(random);
      const r = rig((n, b) => (n === victim ? fault(b) : b));
      const ok = await r.ready(2000);
      expect(ok, `seed ${seed}: not ready; drops ${r.gate.stats.recentDrops.join(' | ')}`).toBe(true);
      expectBoardTable(r.io);
      r.close();
    }
  }, 60_000);

  it('one byte lost at every offset of the handshake stream (exhaustive): always ready, always the exact table', async () => {
    let total = 0;
    const clean = rig((_, b) => { total += b.length; return b; });
    await clean.ready(1000);
    clean.close();
    expect(total).toBeGreaterThan(300);
    for (let k = 0; k < total; k++) {
      let offset = 0;
      const r = rig((_, b) => {
        const out = Array.from(b).filter((_, i) => offset + i !== k);
        offset += b.length;
        return Uint8Array.from(out);
      });
      expect(await r.ready(2000), `offset ${k}: not ready; drops ${r.gate.stats.recentDrops.join(' | ')}`).toBe(true);
      expectBoardTable(r.io);
      r.close();
    }
  }, 120_000);

  it('every reply mangled with probability 1/2: ready or not, never a wrong table (100 seeded runs)', async () => {
    let readyRuns = 0;
    for (let seed = 1000; seed < 1100; seed++) {
      const random = createRng(seed);
      const fault = randomFault(random);
      const r = rig((_, b) => (random() < 0.5 ? fault(b) : b));
      if (await r.ready(1500)) {
        readyRuns++;
        expectBoardTable(r.io);
      } else {
        // Not ready is allowed (the connection times out and reconnects); a half-built table is not.
        if (r.io.pins.length) expect(r.io.pins.map((p) => [...p.supportedModes])).toEqual(PINS.map((m) => m.map((x) => x.mode)));
      }
      r.close();
    }
    expect(readyRuns).toBeGreaterThan(80);
  }, 60_000);

  it('after ready: random bytes and mangled replies (IDs lost for every seq residue) never throw or touch the pin table', async () => {
    const r = rig((_, b) => b);
    expect(await r.ready(1000)).toBe(true);
    const table = JSON.stringify(r.io.pins.map((p) => [p.supportedModes, p.analogChannel])) + JSON.stringify(r.io.analogPins);
    const random = createRng(77);
    const fault = randomFault(random);
    const valid: string[] = [];
    for (let seq = 0; seq < 256; seq++) {
      const reply = encodeBoardMessage({ kind: 'classify-reply', seq, status: 0, digit: 3, logits: Int8Array.from([0, 0, 0, 9, 0, 0, 0, 0, 0, 0]), inferenceMicros: seq });
      // The ID byte lost: firmata-io alone would read the seq byte as the command.
      r.feed(Uint8Array.from([reply[0], ...reply.subarray(2)]));
      r.feed(fault(reply));
      r.feed(Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      for (const id of [FirmataSysex.ANALOG_MAPPING_RESPONSE, FirmataSysex.CAPABILITY_RESPONSE, FirmataSysex.PIN_STATE_RESPONSE, FirmataSysex.REPORT_FIRMWARE]) {
        r.feed(Uint8Array.from([0xf0, id, ...Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 128)), 0xf7]));
      }
      r.feed(reply);
      valid.push(`${seq}`);
    }
    const classify = r.extensions.filter((m) => m.kind === 'classify-reply');
    // Every intact reply came through; a mangled copy may only come out when the fault left it intact (CRC-valid).
    expect(new Set(classify.map((m) => String(m.seq)))).toEqual(new Set(valid));
    for (const m of classify) expect(m.kind === 'classify-reply' && m.inferenceMicros).toBe(m.seq);
    expect(JSON.stringify(r.io.pins.map((p) => [p.supportedModes, p.analogChannel])) + JSON.stringify(r.io.analogPins)).toBe(table);
    expect(r.gate.stats.handlerErrors).toBe(0);
    expect(r.gate.stats.dropped).toBeGreaterThan(256);
    r.close();
  });

  it('after ready, a user\'s own firmware and capability queries are answered (the table unchanged)', async () => {
    const r = rig((_, b) => b, null, 500);
    await r.ready(1000);
    const io = r.io as FirmataIo & { queryFirmware(cb: () => void): void; queryCapabilities(cb: () => void): void };
    await new Promise<void>((resolve) => io.queryFirmware(() => resolve()));
    await new Promise<void>((resolve) => io.queryCapabilities(() => resolve()));
    expectBoardTable(r.io);
    r.close();
  });

  it('passes digital and analog reports only for ports and channels the table has', async () => {
    const r = rig((_, b) => b);
    await r.ready(1000);
    const reads: number[] = [];
    r.io.on('analog-read', (e: { pin: number }) => reads.push(e.pin));
    r.feed(Uint8Array.from([0xe0 | 3, 0x10, 0x01, 0xe0 | 12, 0x10, 0x01, 0x90 | 7, 1, 0]));
    expect(reads).toEqual([3]);
    expect(r.gate.stats.dropped).toBeGreaterThanOrEqual(2);
    r.close();
  });

  it('extension frames go to onExtension, never to firmata-io', async () => {
    const r = rig((_, b) => b);
    await r.ready(1000);
    const before = r.gate.stats.forwarded;
    r.feed(encodeBoardMessage({ kind: 'protocol-info', seq: 5, protocolMajor: 1, protocolMinor: 0, maxSysexBody: 901, imageWidth: 28, imageHeight: 28, classCount: 10 }));
    expect(r.extensions.map((m) => m.kind)).toEqual(['protocol-info']);
    expect(r.gate.stats.forwarded).toBe(before);
    expect(EdSysex.PROTOCOL_INFO_REPLY).toBe(0x04);
    r.close();
  });
});
