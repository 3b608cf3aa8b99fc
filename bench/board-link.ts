// Classifications per second and round-trip latency through the virtual board (generated C behind a pty, reached
// via serialport v13 + firmata-io + johnny-five + the classify extension), for several in-flight windows. Checks
// that every logit equals the simulator's. Target: ≥ 200 classifications/s sustained. Then two rows through the
// project's fault relay (test/fault-relay.ts, socat + a Node relay): a slow line (9,600 baud, paced, no faults) and
// a faulty line (5× the fault test's original rates in both directions, no restart), window 4.
//   tsx bench/board-link.ts [artifact] [images] [windows] [slow] [faulty]      (--help: the arguments and their defaults)
import os from 'node:os';
import { loadDigitSet } from '../src/data/index.js';
import { classifyImages, DigitBoard, startVirtualBoard, type ClassifyOutcome } from '../src/device/index.js';
import { BASE_DOWN, BASE_UP, FaultRelay, scaled } from '../test/fault-relay.js';
import { tempDir } from '../test/board-support.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { ARTIFACT_ARGUMENT, parseBenchArgs } from './bench-args.js';

const { positionals: [artifact, images, windowList, slow, faulty] } = parseBenchArgs({
  usage: 'tsx bench/board-link.ts [artifact] [images] [windows] [slow] [faulty]',
  description: 'Classifications/s and round trips through the virtual board, then a slow and a faulty line through the fault relay.',
  positionals: [
    ARTIFACT_ARGUMENT,
    { name: 'images', help: 'MNIST test images per in-flight window', default: '3000' },
    { name: 'windows', help: 'comma-separated in-flight windows', default: '1,2,4,8' },
    { name: 'slow', help: 'images over the slow 9,600 baud line (0 = skip)', default: '60' },
    { name: 'faulty', help: 'images over the faulty line (0 = skip)', default: '400' },
  ],
});
const count = Number(images);
const windows = windowList.split(',').map(Number);
const slowCount = Number(slow);
const faultyCount = Number(faulty);
const WARM_UP = 100;

const set = loadDigitSet('mnist:test', count);
const reference = new Simulator(loadArtifact(artifact)).classifyMany(set.images, count).logits;

function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

const tStart = performance.now();
const vb = await startVirtualBoard({ artifact });
const started = performance.now();
const board = await DigitBoard.connect(vb.path, { maxInFlight: Math.max(...windows) });
const connected = performance.now();
await classifyImages(board, set.images, Math.min(WARM_UP, count), { window: 4 });

const runs = [];
let identical = true;
for (const window of windows) {
  const r = await classifyImages(board, set.images, count, { window });
  identical &&= r.logits.every((v, i) => v === reference[i]);
  const trips = Float64Array.from(r.roundTripMs).sort();
  const device = Uint32Array.from(r.deviceMicros).sort();
  runs.push({
    window,
    classifications_per_s: Math.round(count / r.seconds),
    seconds: round(r.seconds, 3),
    round_trip_ms: { p50: round(quantile(trips, 0.5), 3), p99: round(quantile(trips, 0.99), 3), max: round(trips[trips.length - 1], 3) },
    device_us: { p50: quantile(device, 0.5), p99: quantile(device, 0.99) },
    retries: r.retries,
  });
}
const stats = { ...board.stats };
await board.close();

/** One row through the relay: classifications/s, round trip p50/p99 of the answered ones, answered share. */
async function relayRow(name: string, n: number, relayOptions: ConstructorParameters<typeof FaultRelay>[2], baudRate?: number) {
  const dir = tempDir(`ed-bench-${name.replace(/[^a-z0-9]+/gi, "-")}-`);
  const relay = new FaultRelay(`${dir}/host`, vb.path, relayOptions);
  await relay.start();
  const link = await DigitBoard.connect(relay.hostLink, { reconnect: false, ...(baudRate ? { baudRate } : { requestTimeoutMs: 150, attempts: 12 }) });
  relay.enabled = true;
  const outcomes: ClassifyOutcome[] = [];
  const t0 = performance.now();
  const images = (function* () {
    for (let i = 0; i < n; i++) yield set.images.subarray(i * 784, (i + 1) * 784);
  })();
  for await (const o of link.classifyMany(images, { window: 4 })) outcomes.push(o);
  const seconds = (performance.now() - t0) / 1000;
  const ok = outcomes.filter((o): o is Extract<ClassifyOutcome, { ok: true }> => o.ok);
  const wrong = ok.filter((o) => o.logits.some((v, k) => v !== reference[o.index * 10 + k])).length;
  const trips = Float64Array.from(ok.map((o) => o.roundTripMs)).sort();
  const row = {
    line: name, images: n, window: 4, classifications_per_s: round(ok.length / seconds, 2), seconds: round(seconds, 1),
    round_trip_ms: { p50: round(quantile(trips, 0.5), 1), p99: round(quantile(trips, 0.99), 1) },
    answered: ok.length, wrong_accepted: wrong, status: link.status, relay: { up: relay.up.stats, down: relay.down.stats },
  };
  await link.close();
  await relay.stop();
  return row;
}
const lineRows = [];
if (slowCount > 0) lineRows.push({ ...(await relayRow('slow 9600 baud, no faults', slowCount, { seed: 5, baud: 9600 }, 9600)), line_limit_per_s: round(9600 / 10 / 904, 2) });
if (faultyCount > 0) lineRows.push(await relayRow('faulty, 5x fault rates', faultyCount, { seed: 6, up: scaled(BASE_UP, 5), down: scaled(BASE_DOWN, 5) }));
await vb.close();

const best = runs.reduce((a, b) => (b.classifications_per_s > a.classifications_per_s ? b : a));
console.log(JSON.stringify({
  bench: 'board-link',
  model: artifact, images_per_run: count, warm_up_images: WARM_UP,
  board: 'virtual (posix pty, gcc -O2)',
  start_seconds: round((started - tStart) / 1000, 3), connect_seconds: round((connected - started) / 1000, 3),
  runs,
  best: { window: best.window, classifications_per_s: best.classifications_per_s },
  target_classifications_per_s: 200,
  meets_target: best.classifications_per_s >= 200,
  identical_logits: identical,
  line_rows: lineRows,
  link_stats: stats,
  units: 'classifications_per_s = images / wall seconds of the run; round_trip_ms = first transmission to accepted reply (host clock), per image; device_us = the board\'s own micros() around ed_classify',
  machine: {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30),
    load_average_1m: round(os.loadavg()[0], 2), node: process.version, platform: `${os.platform()} ${os.release()}`,
  },
  date: new Date().toISOString(),
}));
