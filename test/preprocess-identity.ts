// Bit-identity and CPU cost of `preprocess` between two checkouts, on the camera bench's rendered frames.
//
//   npx tsx test/preprocess-identity.ts --against ../other/src/camera/index.ts [--sets tuning:1,tuning-wide:1] [--limit N]
//   npx tsx test/preprocess-identity.ts --write hashes.txt        (this checkout's hashes, one line per frame)
//   npx tsx test/preprocess-identity.ts --check hashes.txt        (compare this checkout with a written file)
//   npx tsx test/preprocess-identity.ts --pool 2                  (this checkout in-thread against openPreprocessPool's workers)
//
// Every frame is decoded as bench/camera.ts decodes it (sharp: JPEG → RGB, RGB → b-w) and preprocessed; the whole
// result (kind, the 28×28 pixels, the no-digit code and reason, every geometry field) is serialized with keys
// sorted and every number in its shortest round-trip form (−0, NaN and ±∞ spelled out), so two results hash alike
// only when every field holds the same bits. Besides the scene frames: clean MNIST test digits on paper
// (`mnistOnPaper`, the bench's clean check) and `mnistFrames` (its steady-answer source), and the tuning frames
// again with threshold 'adaptive' and with each fixed polarity (options the bench does not use, other code paths).
//
// With --against, both implementations run in this process, alternating which goes first frame by frame, and the
// CPU time of each (process.cpuUsage: user + system, all threads, so sharp's pool is counted) is summed per frame:
// an interleaved A/B of the preprocessing alone, JPEG decode excluded. The scene frames must have been rendered by
// `npm run bench:camera -- --set <set> --seed <seed>` (node_modules/.cache/edge-digits/camera-bench/).
import { createHash } from 'node:crypto';
import { canonical } from './canonical-result.js';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { mnistFrames, mnistOnPaper, openPreprocessPool, preprocess as localPreprocess, type Frame, type PreprocessOptions, type PreprocessResult } from '../src/camera/index.js';
import { HELD_OUT_VARIANT, ROOM_CONDITIONS, TUNING_VARIANT, TUNING_WIDE_VARIANT, type SceneVariant } from '../src/camera/scene.js';
import { imageAt, loadDigitSet } from '../src/data/index.js';

type Preprocess = (frame: Frame, options?: Partial<PreprocessOptions>) => Promise<PreprocessResult>;

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    pool: { type: 'string' },
    write: { type: 'string' },
    check: { type: 'string' },
    sets: { type: 'string', default: 'tuning:1,tuning-wide:1,tuning-bold:1' },
    limit: { type: 'string' },
    clean: { type: 'string', default: '300' },
    steady: { type: 'string', default: '20' },
    'other-options': { type: 'string', default: '120' },
  },
});
const modes = [values.against ?? values.pool, values.write, values.check].filter((v) => v !== undefined).length;
if (modes !== 1 || (values.against && values.pool)) throw new Error('give exactly one of --against <module>, --pool <workers>, --write <file>, --check <file>');
const limit = values.limit === undefined ? Infinity : Number(values.limit);
const log = (s: string): void => { process.stderr.write(s + '\n'); };

const VARIANTS: Record<string, SceneVariant> = { tuning: TUNING_VARIANT, 'tuning-bold': TUNING_VARIANT, 'tuning-wide': TUNING_WIDE_VARIANT, 'held-out': HELD_OUT_VARIANT };

/** The rendered frames of a bench set, in the bench's order (condition, then key). */
function sceneFiles(set: string, seed: number): string[] {
  const variant = VARIANTS[set];
  if (!variant) throw new Error(`unknown set '${set}'`);
  const hash = createHash('sha256').update(JSON.stringify(variant)).digest('hex').slice(0, 10);
  // The newest rendering the bench left (scenes-v3: the digit in the file name, since 2026-12-03; scenes-v2 before).
  const root = path.join('node_modules', '.cache', 'edge-digits', 'camera-bench');
  const dir = ['v3', 'v2'].map((v) => path.join(root, `scenes-${v}-${set}-seed${seed}-${hash}`)).find((d) => existsSync(d));
  if (!dir) throw new Error(`no rendered frames of ${set} seed ${seed} under ${root}: render them with npm run bench:camera -- --set ${set} --seed ${seed}`);
  const order = (f: string): number => {
    const m = /^(.*?)-(\d+)(?:-d\d+)?\.jpg$/.exec(f);
    if (!m) return Infinity;
    return ROOM_CONDITIONS.indexOf(m[1] as (typeof ROOM_CONDITIONS)[number]) * 1e6 + Number(m[2]);
  };
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort((a, b) => order(a) - order(b)).map((f) => path.join(dir, f));
}

/** As bench/camera.ts decodes a frame: JPEG → RGB, and RGB → b-w for the gray plane. */
async function decode(file: string, index: number): Promise<Frame> {
  const { data, info } = await sharp(readFileSync(file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const g = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).toColourspace('b-w').raw().toBuffer();
  return {
    gray: new Uint8Array(g.buffer, g.byteOffset, g.length), rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width, height: info.height, timestampMs: (index * 1000) / 30, index, source: path.basename(file),
  };
}

/** Canonical text of a result: sorted keys, exact numbers, typed arrays as hex. */
const digest = (r: PreprocessResult): string => createHash('sha256').update(canonical(r)).digest('hex').slice(0, 16);

interface Case { readonly name: string; readonly frame: () => Promise<Frame>; readonly options: Partial<PreprocessOptions> }
const cases: Case[] = [];
for (const spec of String(values.sets).split(',').filter(Boolean)) {
  const [set, seed] = spec.split(':');
  const files = sceneFiles(set, Number(seed ?? 1)).slice(0, limit);
  files.forEach((f, i) => cases.push({ name: `${set}:${seed}/${path.basename(f)}`, frame: () => decode(f, i), options: {} }));
}
// Other options on a spread of the first set's frames: every k-th frame, so each condition takes part.
{
  const [set, seed] = String(values.sets).split(',')[0].split(':');
  const files = sceneFiles(set, Number(seed ?? 1));
  const n = Math.min(Number(values['other-options']), files.length);
  for (let j = 0; j < n; j++) {
    const f = files[Math.floor((j * files.length) / n)];
    for (const options of [{ threshold: 'adaptive' }, { polarity: 'dark-on-light' }, { polarity: 'light-on-dark' }, { roi: { fraction: 0.7 } }] as const) {
      cases.push({ name: `${set}:${seed}/${path.basename(f)} ${JSON.stringify(options)}`, frame: () => decode(f, j), options });
    }
  }
}
const test = loadDigitSet('mnist:test');
for (let i = 0; i < Number(values.clean); i++) cases.push({ name: `clean/${i}`, frame: async () => mnistOnPaper(imageAt(test, i), i, test.source), options: {} });
{
  const frames: Frame[] = [];
  for await (const f of mnistFrames({ count: Number(values.steady), seed: 1, digits: test, start: 5000, hold: 3 })) frames.push(f);
  frames.forEach((f, i) => cases.push({ name: `steady/${i}`, frame: async () => f, options: {} }));
}
log(`${cases.length} cases`);

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
async function timed(p: Preprocess, frame: Frame, options: Partial<PreprocessOptions>): Promise<{ r: PreprocessResult; ms: number }> {
  const t0 = cpuMs();
  const r = await p(frame, options);
  return { r, ms: cpuMs() - t0 };
}

const lines: string[] = [];
if (values.against || values.pool) {
  const pool = values.pool ? await openPreprocessPool({ workers: Number(values.pool) }) : null;
  const other: Preprocess = pool
    ? (f, o) => pool.preprocess(f, o)
    : ((await import(pathToFileURL(path.resolve(String(values.against))).href)) as { preprocess: Preprocess }).preprocess;
  let mismatches = 0;
  let msLocal = 0, msOther = 0, timedFrames = 0;
  const load0 = os.loadavg()[0];
  for (const [k, c] of cases.entries()) {
    const frame = await c.frame();
    const localFirst = k % 2 === 0;
    const a = localFirst ? await timed(localPreprocess, frame, c.options) : null;
    const b = await timed(other, frame, c.options);
    const la = a ?? await timed(localPreprocess, frame, c.options);
    if (canonical(la.r) !== canonical(b.r)) {
      mismatches++;
      if (mismatches <= 10) log(`MISMATCH ${c.name}: ${canonical(la.r).slice(0, 300)} … vs … ${canonical(b.r).slice(0, 300)}`);
    }
    if (Object.keys(c.options).length === 0 && !c.name.startsWith('clean/') && !c.name.startsWith('steady/')) { msLocal += la.ms; msOther += b.ms; timedFrames++; }
    if (k % 200 === 199) log(`  ${k + 1}/${cases.length}, ${mismatches} mismatches, cpu ms a scene frame: this ${(msLocal / Math.max(1, timedFrames)).toFixed(2)}, other ${(msOther / Math.max(1, timedFrames)).toFixed(2)}`);
  }
  const out = {
    cases: cases.length, mismatches, scene_frames_timed: timedFrames,
    cpu_ms_per_scene_frame: { this: Number((msLocal / timedFrames).toFixed(2)), other: Number((msOther / timedFrames).toFixed(2)), ratio: Number((msLocal / msOther).toFixed(3)) },
    load_avg_1m: { start: Number(load0.toFixed(2)), end: Number(os.loadavg()[0].toFixed(2)) }, date: new Date().toISOString(),
  };
  await pool?.close();
  console.log(JSON.stringify(out));
  process.exitCode = mismatches === 0 ? 0 : 1;
} else {
  // CPU of the preprocessing alone (decode excluded), split into this thread's and the other threads' (sharp's
  // pool and libvips' workers, V8's GC and compiler threads), from /proc (Linux; clock ticks, summed over the run).
  const ticks = (): { main: number; all: number } => {
    const read = (f: string): number => { const parts = readFileSync(f, 'utf8').replace(/^.*\) /s, '').split(' '); return Number(parts[11]) + Number(parts[12]); };
    if (!existsSync('/proc/self/task')) return { main: NaN, all: NaN };
    return { main: read(`/proc/self/task/${process.pid}/stat`), all: read('/proc/self/stat') };
  };
  let cpu = 0, sceneCpu = 0, sceneFrames = 0, mainTicks = 0, allTicks = 0;
  for (const c of cases) {
    const frame = await c.frame();
    const t = ticks();
    const { r, ms } = await timed(localPreprocess, frame, c.options);
    const t1 = ticks();
    mainTicks += t1.main - t.main; allTicks += t1.all - t.all;
    cpu += ms;
    if (Object.keys(c.options).length === 0 && !c.name.startsWith('clean/') && !c.name.startsWith('steady/')) { sceneCpu += ms; sceneFrames++; }
    lines.push(`${c.name}\t${digest(r)}`);
  }
  log(JSON.stringify({
    cpu_ms_per_case: Number((cpu / cases.length).toFixed(2)), cpu_ms_per_scene_frame: Number((sceneCpu / Math.max(1, sceneFrames)).toFixed(2)),
    main_thread_share: Number((mainTicks / allTicks).toFixed(3)), load_avg_1m: Number(os.loadavg()[0].toFixed(2)),
  }));
  if (values.write) {
    writeFileSync(values.write, lines.join('\n') + '\n');
    log(`wrote ${lines.length} hashes to ${values.write}`);
  } else {
    const want = readFileSync(String(values.check), 'utf8').trimEnd().split('\n');
    let bad = 0;
    if (want.length !== lines.length) { log(`${want.length} hashes in the file, ${lines.length} cases here`); bad++; }
    for (let i = 0; i < Math.min(want.length, lines.length); i++) if (want[i] !== lines[i]) { bad++; if (bad <= 10) log(`MISMATCH ${lines[i]} (file: ${want[i]})`); }
    console.log(JSON.stringify({ cases: lines.length, mismatches: bad }));
    process.exitCode = bad === 0 ? 0 : 1;
  }
}
