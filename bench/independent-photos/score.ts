/**
 * Scores the toolkit on the independent photo set (docs/independent-photos.md) through its CLI, as a user would:
 *   node bin/edge-digits.js run --images '<dir>/*.jpg' --engine sim --json [--threshold otsu|adaptive]
 * and prints a per-condition table — digits right, wrong, called no-digit (by reason), blank sheets rejected —
 * then, as the last stdout line, one JSON object with the figures, the model's sha256, the commit, machine and date.
 *
 * The set is rendered by make.ts (written without reading the project's camera code); if --dir holds no manifest it
 * is rendered first. Every file's bytes are checked against the manifest, and every label the CLI read from a file
 * name against the manifest, so a stale folder or a name the CLI misreads fails loudly instead of skewing figures.
 *
 * Run:  npm run bench:independent-photos                       (renders into $TMPDIR/edge-digits-independent-photos)
 *       npx tsx bench/independent-photos/score.ts --dir /tmp/independent-photos --threshold adaptive
 *       npx tsx bench/independent-photos/score.ts --dir D --from-json run.jsonl     (score a saved `run --json` output)
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from '../bench-args.js';
import { CONDITIONS, makeSet, MANIFEST_VERSION, type Condition } from './make.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_DIR = path.join(os.tmpdir(), 'edge-digits-independent-photos');
const DEFAULT_MODEL = path.join(ROOT, 'models', 'default', 'model.int8.json');

interface ManifestPhoto { file: string; condition: Condition; mnist_index: number | null; label: number | null; effects: string[]; ink: string; paper: string; background: string | null; sha256: string }
interface Manifest { format: string; version: number; seed: number; photos: ManifestPhoto[] }

/** One `run --json` frame line (docs/cli-json.md), the fields this scorer reads. */
interface FrameLine { source: string; label: number | null; digit: number | null; no_digit: string | null; confidence: number }

export interface ConditionScore {
  /** Of the digits, how many the model gets right on MNIST's own 28×28 image (no camera): the ceiling. */
  clean: number;
  digits: number; right: number; wrong: number; noDigit: number; noDigitReasons: Record<string, number>;
  blanks: number; blanksRejected: number; blanksCalled: number;
}

function emptyScore(): ConditionScore {
  return { clean: 0, digits: 0, right: 0, wrong: 0, noDigit: 0, noDigitReasons: {}, blanks: 0, blanksRejected: 0, blanksCalled: 0 };
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  if (m.format !== 'edge-digits-independent-photos' || m.version !== MANIFEST_VERSION) {
    throw new Error(`${file}: not an independent-photos manifest version ${MANIFEST_VERSION} (format '${m.format}', version ${m.version})`);
  }
  return m;
}

/** Parses `run --json` output: frame lines keyed by file name; `error` lines (unreadable files) and the summary apart. */
export function parseRunOutput(text: string, origin: string): { frames: Map<string, FrameLine>; errors: string[]; summary: Record<string, unknown> | null } {
  const frames = new Map<string, FrameLine>();
  const errors: string[] = [];
  let summary: Record<string, unknown> | null = null;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try { o = JSON.parse(line) as Record<string, unknown>; } catch { throw new Error(`${origin}:${i + 1}: not JSON: ${line.slice(0, 80)}`); }
    if (typeof o.summary === 'object' && o.summary !== null) { summary = o.summary as Record<string, unknown>; return; }
    if (typeof o.source !== 'string') throw new Error(`${origin}:${i + 1}: a frame line without 'source'`);
    if (typeof o.error === 'string') { errors.push(`${o.source}: ${o.error}`); return; }
    frames.set(path.basename(o.source), o as unknown as FrameLine);
  });
  return { frames, errors, summary };
}

export function score(manifest: Manifest, frames: Map<string, FrameLine>, clean: ReadonlyMap<number, number>): Map<Condition, ConditionScore> {
  const table = new Map<Condition, ConditionScore>();
  for (const p of manifest.photos) {
    const f = frames.get(p.file);
    if (f === undefined) throw new Error(`the CLI reported no frame for ${p.file}`);
    if (f.label !== p.label) throw new Error(`${p.file}: the CLI read label ${f.label} from the name, the manifest says ${p.label}`);
    const s = table.get(p.condition) ?? emptyScore();
    table.set(p.condition, s);
    if (p.label === null) {
      s.blanks++;
      if (f.no_digit !== null) s.blanksRejected++; else s.blanksCalled++;
    } else {
      s.digits++;
      if (clean.get(p.mnist_index ?? -1) === p.label) s.clean++;
      if (f.no_digit !== null) { s.noDigit++; s.noDigitReasons[f.no_digit] = (s.noDigitReasons[f.no_digit] ?? 0) + 1; }
      else if (f.digit === p.label) s.right++;
      else s.wrong++;
    }
  }
  return table;
}

function total(table: Map<Condition, ConditionScore>): ConditionScore {
  const t = emptyScore();
  for (const s of table.values()) {
    t.clean += s.clean; t.digits += s.digits; t.right += s.right; t.wrong += s.wrong; t.noDigit += s.noDigit;
    t.blanks += s.blanks; t.blanksRejected += s.blanksRejected; t.blanksCalled += s.blanksCalled;
    for (const [k, v] of Object.entries(s.noDigitReasons)) t.noDigitReasons[k] = (t.noDigitReasons[k] ?? 0) + v;
  }
  return t;
}

function reasons(r: Record<string, number>): string {
  const e = Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return e.length === 0 ? '' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}

function formatTable(threshold: string, table: Map<Condition, ConditionScore>): string {
  const rows: string[][] = [['condition', 'clean 28×28', 'right', 'wrong', 'no-digit', 'no-digit reasons', 'blanks rejected']];
  const row = (name: string, s: ConditionScore): string[] => [
    name, `${s.clean}/${s.digits}`, `${s.right}/${s.digits}`, String(s.wrong), String(s.noDigit), reasons(s.noDigitReasons), `${s.blanksRejected}/${s.blanks}`,
  ];
  for (const c of CONDITIONS) { const s = table.get(c); if (s !== undefined) rows.push(row(c, s)); }
  const t = total(table);
  rows.push(row('all', t));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [`threshold ${threshold}:`, line(rows[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

function figures(s: ConditionScore): Record<string, unknown> {
  return {
    clean_right: s.clean, digits: s.digits, right: s.right, wrong: s.wrong, no_digit: s.noDigit, no_digit_reasons: s.noDigitReasons,
    accuracy: s.digits ? s.right / s.digits : null,
    accuracy_when_found: s.right + s.wrong ? s.right / (s.right + s.wrong) : null,
    blanks: s.blanks, blanks_rejected: s.blanksRejected, blanks_called_a_digit: s.blanksCalled,
  };
}

/** Runs the CLI as a user would; the progress line goes to our stderr, the JSON lines are collected. */
function runCli(dir: string, threshold: string, model: string, saveFrames: string | null): Promise<string> {
  const args = [path.join(ROOT, 'bin', 'edge-digits.js'), 'run', '--images', path.join(dir, '*.jpg'), '--engine', 'sim', '--json', '--threshold', threshold, '--model', model];
  if (saveFrames !== null) { mkdirSync(saveFrames, { recursive: true }); args.push('--save-frames', saveFrames); }
  // Exit 1 with every frame reported means some file was unreadable; that is counted by the caller, not fatal here.
  return runNode(args, [0, 1]);
}

function runNode(args: string[], okCodes: readonly number[] = [0]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === null || !okCodes.includes(code)) reject(new Error(`edge-digits ${args[1]} exited ${code}: ${err.trim().split('\n').pop() ?? ''}`));
      else resolve(out);
    });
  });
}

/** The photos answered wrongly: a digit missed or misread, or a blank sheet called a digit. */
export function listFailures(manifest: Manifest, frames: Map<string, FrameLine>, clean: ReadonlyMap<number, number>): string[] {
  const out: string[] = [];
  for (const p of manifest.photos) {
    const f = frames.get(p.file);
    if (f === undefined) continue;
    const answer = f.no_digit !== null ? `no-digit (${f.no_digit})` : `digit ${f.digit} (confidence ${f.confidence.toFixed(2)})`;
    const failed = p.label === null ? f.no_digit === null : f.no_digit !== null || f.digit !== p.label;
    const scene = `${p.effects.join('+') || 'plain'}; ${p.ink} ink on ${p.paper} paper${p.background !== null ? ` before a ${p.background === 'dark' ? 'dark room' : p.background}` : ''}`;
    const ceiling = p.mnist_index === null ? '' : `; MNIST's own 28×28 → ${clean.get(p.mnist_index) ?? '?'}`;
    if (failed) out.push(`failure: ${p.file} [${scene}] label ${p.label ?? 'none'} → ${answer}${ceiling}`);
  }
  return out;
}

/** The model's class for every MNIST test image as MNIST has it (28×28, no camera), through `edge-digits predict`. */
async function cleanPredictions(model: string): Promise<Map<number, number>> {
  const text = await runNode([path.join(ROOT, 'bin', 'edge-digits.js'), 'predict', '--model', model, '--engine', 'sim', '--json']);
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const o = JSON.parse(line) as { index: number; class: number };
    out.set(o.index, o.class);
  }
  if (out.size !== 10000) throw new Error(`edge-digits predict gave ${out.size} lines, expected the 10000 MNIST test images`);
  return out;
}

function gitCommit(): string | null {
  try { return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; }
}

async function main(): Promise<void> {
  // --help, an unknown option or a missing value end the process here (exit 0 or 2, bench/bench-args.ts).
  const { values } = parseBenchArgs({
    usage: 'npx tsx bench/independent-photos/score.ts [options]',
    description: 'Runs the CLI on the independent photo set and prints per-condition figures (docs/independent-photos.md).',
    options: {
      dir: { type: 'string', default: DEFAULT_DIR, arg: 'dir', help: 'the rendered set; rendered first if it has no manifest.json' },
      threshold: { type: 'string', default: 'both', arg: 't', help: 'otsu, adaptive or both (two runs)' },
      model: { type: 'string', default: DEFAULT_MODEL, arg: 'file', help: 'int8 artifact' },
      'save-frames': { type: 'string', arg: 'dir', help: 'pass --save-frames to the CLI (a subfolder per threshold): the 28×28 inputs it classified' },
      'from-json': { type: 'string', arg: 'file', help: "score a saved 'edge-digits run --json' output instead of running the CLI (its threshold unknown)" },
      failures: { type: 'boolean', help: 'also list every photo the toolkit got wrong (file, label, answer or no-digit reason)' },
    },
  });
  const dir = path.resolve(values.dir);
  const model = path.resolve(values.model);
  const thresholdArg = values.threshold;
  if (!['otsu', 'adaptive', 'both'].includes(thresholdArg)) throw new Error(`--threshold takes otsu, adaptive or both, got '${thresholdArg}'`);
  if (!existsSync(model)) throw new Error(`--model ${model}: no such file`);
  const started = Date.now();
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    process.stderr.write(`rendering the set into ${dir} …\n`);
    await makeSet({ out: dir, progress: (d, t) => { if (d % 100 === 0 || d === t) process.stderr.write(`rendered ${d}/${t}\n`); } });
  }
  const manifest = readManifest(dir);
  for (const p of manifest.photos) {
    if (sha256File(path.join(dir, p.file)) !== p.sha256) throw new Error(`${path.join(dir, p.file)}: bytes differ from the manifest (a stale or edited set: delete ${dir} and re-render)`);
  }
  process.stderr.write('edge-digits predict on the MNIST test images (the clean ceiling) …\n');
  const clean = await cleanPredictions(model);
  const runs: Record<string, unknown>[] = [];
  const thresholds = values['from-json'] !== undefined ? ['from-json'] : thresholdArg === 'both' ? ['otsu', 'adaptive'] : [thresholdArg];
  for (const threshold of thresholds) {
    let text: string, origin: string;
    if (values['from-json'] !== undefined) { origin = values['from-json']; text = readFileSync(origin, 'utf8'); }
    else {
      process.stderr.write(`edge-digits run --threshold ${threshold} on ${manifest.photos.length} photos …\n`);
      origin = `edge-digits run --threshold ${threshold}`;
      text = await runCli(dir, threshold, model, values['save-frames'] !== undefined ? path.join(values['save-frames'], threshold) : null);
    }
    const { frames, errors, summary } = parseRunOutput(text, origin);
    if (errors.length > 0) throw new Error(`${errors.length} photo(s) the CLI could not read, first: ${errors[0]}`);
    const table = score(manifest, frames, clean);
    if (values.failures) console.log(listFailures(manifest, frames, clean).join('\n'));
    console.log(formatTable(threshold, table));
    console.log('');
    runs.push({
      threshold,
      overall: figures(total(table)),
      per_condition: Object.fromEntries([...table].map(([c, s]) => [c, figures(s)])),
      cli_summary_accuracy: summary !== null && typeof summary.accuracy === 'number' ? summary.accuracy : null,
    });
  }
  const cpus = os.cpus();
  console.log(JSON.stringify({
    bench: 'independent-photos',
    set: { dir, seed: manifest.seed, photos: manifest.photos.length, manifest_sha256: sha256File(path.join(dir, 'manifest.json')) },
    model: { path: model, sha256: sha256File(model) },
    engine: 'sim',
    commit: gitCommit(),
    runs,
    units: { accuracy: 'right / digits (no-digit counts as not right)', accuracy_when_found: 'right / (right + wrong)' },
    machine: { platform: `${os.platform()} ${os.arch()}`, cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, load_average: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
    date: new Date().toISOString(),
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
  }));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => { process.stderr.write(`score.ts: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(2); });
}
