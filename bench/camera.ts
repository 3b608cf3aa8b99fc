// Camera path benchmark: digits on paper in the light of a real room (src/camera/scene.ts), every condition of
// issue 14, through JPEG decode → preprocessing → board; plus the cost of preprocessing on clean MNIST digits.
//
//   npm run bench:camera [-- options]      (--help: every option and its default)
//
// Two sets that share nothing: 'tuning' (seed 1 by default, TUNING_VARIANT ranges, MNIST test digits 0–4,999) is
// the one the preprocessing is tuned on (seeds 1, 2, 3), with 'tuning-wide' (TUNING_WIDE_VARIANT: smaller sheets,
// stronger glare, denser ruling, longer blur) where the plain ranges were too easy to show a fault, and
// 'tuning-bold' (TUNING_VARIANT with one half of the bolder MNIST test digits 5,000–9,999); 'held-out'
// (HELD_OUT_VARIANT: other colours, deeper and narrower shadows, wider fingers, denser ruling, lower JPEG quality;
// the other half of 5,000–9,999) is the one reported. Which digit a frame shows is a seeded function of (set, seed,
// condition, frame): bench/camera-digits.ts. Its default seed is 2002: seed 1001 was looked at by the
// sessions that tuned the preprocessing up to 2026-12-02, so it is no longer an unseen set (it stays selectable
// with --seed 1001 for continuity).
// Rendered frames are cached as JPEG under node_modules/.cache/edge-digits/camera-bench/. Last stdout line: JSON
// (format in docs/camera.md, "bench:camera output").
//
// Clean MNIST digits are measured twice: the shipped model on the 10,000 test digits, which the preprocessing's
// shaping was tuned on, and the validation model (models/validation-55k, trained on the first 55,000 training
// digits only) on training digits 55,000–59,999, which neither that model nor any preprocessing tuning has seen.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { mnistFrames, mnistOnPaper, openPreprocessPool, preprocess, type Frame } from '../src/camera/index.js';
import { benchDigit, poolDigits } from './camera-digits.js';
import { HELD_OUT_VARIANT, ROOM_CONDITIONS, synthesizeScene, TUNING_VARIANT, TUNING_WIDE_VARIANT, type RoomCondition } from '../src/camera/scene.js';
import { frameSeed } from '../src/camera/synthesize.js';
import { createRng, imageAt, loadDigitSet } from '../src/data/index.js';
import { loadArtifact, Simulator } from '../src/quantize/index.js';
import { openBoardClassifier } from '../src/cli/live/board-classifier.js';
import { recognize, type DigitClassifier } from '../src/cli/live/recognize.js';
import { DEFAULT_ARTIFACT, parseBenchArgs, usageError } from './bench-args.js';

/**
 * The untuned clean check: digits the preprocessing was never tuned on (its shaping was tuned on the MNIST test
 * digits and training digits 50,000–54,999) and a model that never trained on them (`npm run train:validation`:
 * the cnn recipe, seed 1, on the first 55,000 training digits).
 */
const UNTUNED = { model: 'models/validation-55k/model.int8.json', set: 'mnist:train', first: 55_000, count: 5000 } as const;
/**
 * Version of the JSON line below; 2 split clean_mnist into a tuned-on and an untuned figure; 3 added
 * scenes.preprocess_workers (the full path and host_preprocess_fps preprocess in that many worker threads).
 */
const FORMAT_VERSION = 3;

// The scene frames' digits, and the steady-answer check's (step 4: the first digits of the set's pool), come from
// bench/camera-digits.ts.
const SETS = {
  tuning: { seed: 1, variant: TUNING_VARIANT },
  // The tuning ranges with half of MNIST test digits 5,000–9,999, which are bolder than 0–4,999 (14 % against 6 %
  // of digits have over 150 pixels ≥ 128), as the held-out set's other half is: bold strokes wider than the
  // lighting window were the held-out misses no tuning set showed. The two halves are a fixed seeded partition
  // (bench/camera-digits.ts), so tuning-bold shares digits with no held-out frame.
  'tuning-bold': { seed: 1, variant: TUNING_VARIANT },
  'tuning-wide': { seed: 1, variant: TUNING_WIDE_VARIANT },
  'held-out': { seed: 2002, variant: HELD_OUT_VARIANT },
} as const;
/** Each set's own seed, the --seed default, as --help gives it: `1 (tuning, tuning-bold, tuning-wide), 2002 (held-out)`. */
function seedDefaults(): string {
  const bySeed = new Map<number, string[]>();
  for (const [name, s] of Object.entries(SETS)) bySeed.set(s.seed, [...(bySeed.get(s.seed) ?? []), name]);
  return [...bySeed].map(([seed, names]) => `${seed} (${names.join(', ')})`).join(', ');
}

const { values } = parseBenchArgs({
  usage: 'npm run bench:camera [-- options]      (or: npx tsx bench/camera.ts [options])',
  description: `Room-scene digit frames of every condition through JPEG decode, preprocessing and the board, plus preprocessing
on clean MNIST digits. The last stdout line is one JSON object (docs/camera.md, "bench:camera output").`,
  options: {
    set: { type: 'string', default: 'held-out', arg: 'name', help: Object.keys(SETS).join(' | ') },
    seed: { type: 'string', arg: 'n', help: `the set's seed (default: ${seedDefaults()})` },
    'per-condition': { type: 'string', default: '50', arg: 'n', help: 'digit frames per condition' },
    blanks: { type: 'string', default: '10', arg: 'n', help: 'blank frames per condition' },
    conditions: { type: 'string', arg: 'a,b', help: 'comma-separated subset of the room conditions; all when left out' },
    clean: { type: 'string', default: '10000', arg: 'n', help: 'clean MNIST test digits, shipped model (0..10000)' },
    'clean-untuned': { type: 'string', default: String(UNTUNED.count), arg: 'n', help: `untuned clean check: training digits 55,000+ (0..${UNTUNED.count})` },
    'validation-model': { type: 'string', default: UNTUNED.model, arg: 'file', help: 'the model of the untuned clean check' },
    engine: { type: 'string', default: 'board', arg: 'board|sim', help: 'the virtual board or the simulator' },
    model: { type: 'string', default: DEFAULT_ARTIFACT, arg: 'file', help: 'int8 model artifact' },
    window: { type: 'string', default: '6', arg: 'n', help: 'requests in flight' },
    // Worker threads preprocessing the scene frames (full path and host_preprocess_fps); 0 = in the main thread.
    workers: { type: 'string', default: String(os.cpus().length), arg: 'n', help: 'preprocessing worker threads, 0 = main thread (0..64); by default one a core' },
    misses: { type: 'string', arg: 'dir', help: 'write the missed frames (JPEG) into this folder' },
    // Render the set's frames into the cache and stop, before any preprocessing or classification: prepares a
    // long run ahead of the idle minutes it is timed in, without showing a single result.
    'render-only': { type: 'boolean', default: false, help: "render the set's frames into the cache and stop" },
  },
});
const setName = String(values.set);
if (setName !== 'held-out' && setName !== 'tuning' && setName !== 'tuning-wide' && setName !== 'tuning-bold') usageError(`--set must be 'held-out', 'tuning', 'tuning-wide' or 'tuning-bold', got '${setName}'`);
const seedArg = values.seed === undefined ? null : Number(values.seed);
if (seedArg !== null && !(Number.isInteger(seedArg) && seedArg >= 0)) usageError(`--seed must be a non-negative integer, got '${String(values.seed)}'`);
const set = { ...SETS[setName], seed: seedArg ?? SETS[setName].seed };
const perCondition = Number(values['per-condition']);
const blanksPerCondition = Number(values.blanks);
const conditions = (values.conditions ? values.conditions.split(',') : ROOM_CONDITIONS) as RoomCondition[];
for (const c of conditions) if (!ROOM_CONDITIONS.includes(c)) usageError(`unknown condition '${c}'; known: ${ROOM_CONDITIONS.join(', ')}`);
const cleanCount = Number(values.clean);
const untunedCount = Number(values['clean-untuned']);
for (const [name, n, most] of [['--clean', cleanCount, 10_000], ['--clean-untuned', untunedCount, UNTUNED.count]] as const) {
  if (!Number.isInteger(n) || n < 0 || n > most) usageError(`${name} must be an integer in 0..${most}, got '${n}'`);
}
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 0 || workers > 64) usageError(`--workers must be an integer in 0..64, got '${String(values.workers)}'`);
const model = String(values.model);
const artifact = loadArtifact(model);
const sim = new Simulator(artifact);
const test = loadDigitSet('mnist:test');
const log = (s: string): void => { process.stderr.write(s + '\n'); };

// 1. The scene frames: per condition `perCondition` digits and `blanksPerCondition` sheets with no digit.
interface Item { readonly condition: RoomCondition; readonly digitIndex: number | null; readonly key: number }
const items: Item[] = [];
for (const [ci, condition] of ROOM_CONDITIONS.entries()) {
  if (!conditions.includes(condition)) continue;
  for (let k = 0; k < perCondition; k++) items.push({ condition, digitIndex: benchDigit(setName, set.seed, ci, k), key: ci * 10_000 + k });
  for (let k = 0; k < blanksPerCondition; k++) items.push({ condition, digitIndex: null, key: ci * 10_000 + 5000 + k });
}
// The cache key holds the variant's ranges (hashed): a widened variant never reuses frames rendered from the old one.
// v3 (2026-12-03): digits chosen by benchDigit; a frame's file name also holds its digit, so a frame is never served
// for another digit than the one it was rendered with.
const variantHash = createHash('sha256').update(JSON.stringify(set.variant)).digest('hex').slice(0, 10);
const cacheDir = path.join('node_modules', '.cache', 'edge-digits', 'camera-bench', `scenes-v3-${setName}-seed${set.seed}-${variantHash}`);
mkdirSync(cacheDir, { recursive: true });
const fileOf = (it: Item): string => path.join(cacheDir, `${it.condition}-${it.key}${it.digitIndex === null ? '' : `-d${it.digitIndex}`}.jpg`);
const missing = items.filter((it) => !existsSync(fileOf(it)));
if (missing.length > 0) {
  log(`rendering ${missing.length} ${setName} scene frames into ${cacheDir}…`);
  const t0 = performance.now();
  for (const [m, it] of missing.entries()) {
    const digit = it.digitIndex === null ? null : imageAt(test, it.digitIndex);
    const s = await synthesizeScene(digit, createRng(frameSeed(set.seed, it.key)), { width: 640, height: 480, condition: it.condition, variant: set.variant });
    const tmp = `${fileOf(it)}.tmp`;
    writeFileSync(tmp, s.jpeg);
    renameSync(tmp, fileOf(it));
    if (m % 100 === 99) log(`  ${m + 1}/${missing.length}`);
  }
  log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
if (values['render-only']) {
  process.stdout.write(`${JSON.stringify({ bench: 'camera', version: FORMAT_VERSION, render_only: { set: setName, seed: set.seed, variant: set.variant.name, frames: items.length, rendered: missing.length, cache: cacheDir } })}\n`);
  process.exit(0);
}

// 2. The full path: JPEG decode (as from an MJPEG webcam) → preprocess → classifier, bounded in-flight window.
async function* sceneFrames(): AsyncGenerator<Frame> {
  for (const [index, it] of items.entries()) {
    const { data, info } = await sharp(readFileSync(fileOf(it))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
    const g = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).toColourspace('b-w').raw().toBuffer();
    yield {
      gray: new Uint8Array(g.buffer, g.byteOffset, g.length), rgb, width: info.width, height: info.height,
      timestampMs: (index * 1000) / 30, index, source: path.basename(fileOf(it)),
      ...(it.digitIndex === null ? {} : { label: test.labels[it.digitIndex] }),
    };
  }
}
const classifier: DigitClassifier = values.engine === 'sim'
  ? { name: 'sim', classify: async (p) => sim.classify(p), close: async () => {} }
  : await openBoardClassifier({ model, qemu: false, log });
interface Tally { digits: number; right: number; noDigit: number; blanks: number; blanksRejected: number; reasons: Record<string, number> }
const tally = (): Tally => ({ digits: 0, right: 0, noDigit: 0, blanks: 0, blanksRejected: 0, reasons: {} });
const byCondition = new Map<RoomCondition, Tally>(conditions.map((c) => [c, tally()]));
const overall = tally();
let mismatches = 0;
const toVerify: { readonly pixels: Uint8Array; readonly logits: readonly number[] }[] = [];
const missDir = typeof values.misses === 'string' ? values.misses : null;
if (missDir) mkdirSync(missDir, { recursive: true });
// The scene frames' preprocessing: in `workers` threads (started before the timed run), or in-thread with 0. The
// clean checks and the steady answer below stay in-thread.
const pool = workers > 0 ? await openPreprocessPool({ workers }) : null;
const scenePreprocess = pool ? pool.preprocess : preprocess;
const cpuBefore = process.cpuUsage();
const video = await recognize(sceneFrames(), {
  classifier, preprocess: scenePreprocess, preprocessOptions: {}, window: Number(values.window), stableWindow: 5, minConfidence: 0.6,
  outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint,
  onOutcome: (o) => {
    // Every board answer must be the simulator's, to the last logit: kept here, checked after the timed run, so the
    // check (which `edge-digits run` never does: ~5 ms of main-thread CPU a digit) is not counted in the path's fps.
    if (o.pre.kind === 'digit' && o.logits) toVerify.push({ pixels: Uint8Array.from(o.pre.pixels), logits: Array.from(o.logits) });
    const it = items[o.frame.index];
    for (const t of [byCondition.get(it.condition) as Tally, overall]) {
      const reason = o.pre.kind === 'none' ? o.pre.code : 'digit';
      if (it.digitIndex === null) {
        t.blanks++;
        if (o.pre.kind === 'none') t.blanksRejected++;
        else t.reasons[`blank→digit`] = (t.reasons['blank→digit'] ?? 0) + 1;
      } else {
        t.digits++;
        if (o.digit === o.frame.label) t.right++;
        else t.reasons[reason === 'digit' ? 'wrong-digit' : reason] = (t.reasons[reason === 'digit' ? 'wrong-digit' : reason] ?? 0) + 1;
        if (o.pre.kind === 'none') t.noDigit++;
      }
    }
    const missed = it.digitIndex === null ? o.pre.kind === 'digit' : o.digit !== o.frame.label;
    if (missDir && missed) {
      const why = o.pre.kind === 'none' ? o.pre.code : `pred${o.digit}`;
      writeFileSync(path.join(missDir, `${path.basename(fileOf(it), '.jpg')}-label${o.frame.label ?? 'none'}-${why}.jpg`), readFileSync(fileOf(it)));
    }
  },
});
const cpuScenes = process.cpuUsage(cpuBefore);
for (const v of toVerify) if (sim.classify(v.pixels).logits.some((x, i) => x !== v.logits[i])) mismatches++;

// What limits the frame rate, measured in the same run: the host alone (JPEG decode + preprocessing, same window,
// no classifier) and the link alone (the classifier on ready 28×28 digits, `window` requests in flight).
const peerFrames = Math.min(items.length, 240);
const tHost = performance.now();
{
  const pending: Promise<unknown>[] = [];
  let n = 0;
  for await (const f of sceneFrames()) {
    if (n++ >= peerFrames) break;
    pending.push(scenePreprocess(f));
    if (pending.length >= Number(values.window)) await pending.shift();
  }
  await Promise.all(pending);
}
const hostFps = peerFrames / ((performance.now() - tHost) / 1000);
await pool?.close();
const linkDigits = 600;
const tLink = performance.now();
{
  let next = 0;
  await Promise.all(Array.from({ length: Number(values.window) }, async () => {
    while (next < linkDigits) {
      const i = next++;
      await classifier.classify(test.images.subarray(i * 784, i * 784 + 784));
    }
  }));
}
const linkFps = linkDigits / ((performance.now() - tLink) / 1000);
await classifier.close();

const figures = (t: Tally): Record<string, unknown> => ({
  digits: t.digits, right: t.digits ? Number((t.right / t.digits).toFixed(4)) : null,
  no_digit: t.digits ? Number((t.noDigit / t.digits).toFixed(4)) : null,
  blanks: t.blanks, blanks_rejected: t.blanks ? Number((t.blanksRejected / t.blanks).toFixed(4)) : null,
  misses: t.reasons,
});
for (const [c, t] of byCondition) log(`${c.padEnd(14)} right ${(100 * t.right / Math.max(1, t.digits)).toFixed(1).padStart(5)} %  no-digit ${(100 * t.noDigit / Math.max(1, t.digits)).toFixed(1).padStart(5)} %  blanks rejected ${(100 * t.blanksRejected / Math.max(1, t.blanks)).toFixed(0).padStart(3)} %  ${JSON.stringify(t.reasons)}`);

interface CleanFigures {
  readonly model: string; readonly set: string; readonly first: number; readonly images: number;
  readonly direct_accuracy: number | null; readonly preprocessed_accuracy: number | null;
  readonly loss_points: number | null; readonly answers_changed: number; readonly no_digit: number; readonly seconds: number;
}

/** Clean digits first..first+count of `digits`: straight into the model vs through the preprocessing. */
async function cleanCheck(classify: Simulator, modelPath: string, digits: ReturnType<typeof loadDigitSet>, first: number, count: number): Promise<CleanFigures> {
  let direct = 0;
  let through = 0;
  let changed = 0;
  let none = 0;
  const t0 = performance.now();
  for (let i = first; i < first + count; i++) {
    const px = imageAt(digits, i);
    const straight = classify.classify(px).digit;
    if (straight === digits.labels[i]) direct++;
    const r = await preprocess(mnistOnPaper(px, i, digits.source));
    const answer = r.kind === 'digit' ? classify.classify(r.pixels).digit : null;
    if (r.kind !== 'digit') none++;
    if (answer === digits.labels[i]) through++;
    if (answer !== straight) changed++;
  }
  return {
    model: modelPath, set: digits.source, first, images: count,
    direct_accuracy: count ? direct / count : null, preprocessed_accuracy: count ? through / count : null,
    loss_points: count ? Number((((direct - through) / count) * 100).toFixed(3)) : null,
    answers_changed: changed, no_digit: none, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
}

// 3. Clean MNIST digits: straight into the model vs through the preprocessing. (a) The shipped model on the
// test digits: the shaping was tuned on them, so this flatters the preprocessing. (b) The untuned figure.
const cleanTuned = await cleanCheck(sim, model, test, 0, cleanCount);
const validationModel = String(values['validation-model']);
const cleanUntuned = untunedCount > 0
  ? await cleanCheck(new Simulator(loadArtifact(validationModel)), validationModel, loadDigitSet(UNTUNED.set), UNTUNED.first, untunedCount)
  : null;

// 4. The steady answer as npm start shows it: MNIST digits held for `hold` frames each, moving a little; how many
// frames (at the source's 30 fps clock) from a new digit's first frame to the stabilizer showing it.
const hold = 15;
const steadyDigits = 40;
const toSteady: number[] = [];
let neverSteady = 0;
let current = -1;
let since = 0;
let settled = false;
await recognize(mnistFrames({ count: steadyDigits, seed: set.seed, digits: poolDigits(setName, test, steadyDigits), hold }), {
  classifier: { name: 'sim', classify: async (p) => sim.classify(p), close: async () => {} },
  preprocess, preprocessOptions: {}, window: 1, stableWindow: 5, minConfidence: 0.6,
  outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint,
  onOutcome: (o) => {
    const digitIndex = Math.floor(o.frame.index / hold);
    if (digitIndex !== current) {
      if (current >= 0 && !settled) neverSteady++;
      current = digitIndex;
      since = 0;
      settled = false;
    }
    since++;
    if (!settled && o.stable.digit === o.frame.label) { settled = true; toSteady.push(since); }
  },
});
if (!settled) neverSteady++;
toSteady.sort((a, b) => a - b);
const steady = {
  digits: steadyDigits, hold_frames: hold, stable_window: 5,
  frames_to_steady: { p50: toSteady[Math.floor(toSteady.length / 2)] ?? null, p90: toSteady[Math.floor(toSteady.length * 0.9)] ?? null, max: toSteady.at(-1) ?? null },
  ms_to_steady_at_30fps: { p50: ((toSteady[Math.floor(toSteady.length / 2)] ?? NaN) * 1000) / 30 },
  never_steady: neverSteady,
};

const perConditionRight = [...byCondition.values()].map((t) => (t.digits ? t.right / t.digits : 1));
const worst = Math.min(...perConditionRight);
const out = {
  bench: 'camera', version: FORMAT_VERSION,
  model, engine: classifier.name,
  scenes: {
    set: setName, seed: set.seed, variant: set.variant.name, resolution: '640x480', frames: video.frames,
    per_condition: perCondition, blanks_per_condition: blanksPerCondition, preprocess_workers: workers, window: Number(values.window),
    overall: figures(overall),
    worst_condition_right: Number(worst.toFixed(4)),
    conditions: Object.fromEntries([...byCondition].map(([c, t]) => [c, figures(t)])),
    logit_mismatches_vs_sim: mismatches,
    fps: Number(video.fps.toFixed(1)),
    // The two halves of the path alone: the lower one is the limit. cpu_ms_per_frame is this process's CPU time
    // (user + system, all threads) per frame of the full run: on an idle machine fps ≈ cores × 1000 / it at best.
    fps_limits: {
      host_preprocess_fps: Number(hostFps.toFixed(1)), host_frames: peerFrames,
      link_classify_per_s: Number(linkFps.toFixed(1)), link_digits: linkDigits,
      cpu_ms_per_frame: Number(((cpuScenes.user + cpuScenes.system) / 1000 / Math.max(1, video.frames)).toFixed(2)),
    },
    latency_ms: { p50: Number(video.latencyMs.p50.toFixed(2)), p99: Number(video.latencyMs.p99.toFixed(2)) },
    device_us: video.deviceMicros,
    targets: { right: 0.98, per_condition_right: 0.95, no_digit_max: 0.015, blanks_rejected: 0.97, fps: 30 },
    targets_met: {
      right: overall.right / Math.max(1, overall.digits) >= 0.98,
      per_condition_right: worst >= 0.95,
      no_digit: overall.noDigit / Math.max(1, overall.digits) <= 0.015,
      blanks_rejected: overall.blanksRejected / Math.max(1, overall.blanks) >= 0.97,
      fps: video.fps >= 30,
    },
  },
  steady_answer: steady,
  clean_mnist: {
    target_loss_points: 0.1,
    // The target is judged on `untuned`; `tuned_on` is kept to compare with earlier runs.
    tuned_on: { ...cleanTuned, note: 'shipped model on the MNIST test digits the shaping was tuned on' },
    untuned: cleanUntuned && { ...cleanUntuned, note: 'validation model (first 55,000 training digits) on training digits it never saw, untouched by preprocessing tuning' },
    target_met: cleanUntuned?.loss_points == null ? null : cleanUntuned.loss_points <= 0.1,
  },
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), load_avg_1m: Number(os.loadavg()[0].toFixed(2)), node: process.version },
  date: new Date().toISOString(),
};
console.log(JSON.stringify(out));
