/**
 * Start-up cost of the CLI: CPU seconds (user + system, of the whole process tree, measured by bash's `time`
 * from the kernel's rusage) of `edge-digits --help` and `edge-digits --version`, median of BENCH_RUNS runs each, next
 * to a bare `node -e 0` in the same run (the floor any Node CLI pays). Target: --help ≤ 0.4 s CPU.
 * The last line is one JSON object.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { helpLine } from '../src/cli/command.js';
import { parseBenchArgs } from './bench-args.js';

/** Runs of each command when BENCH_RUNS is not set; the median is reported. */
const DEFAULT_RUNS = 10;
parseBenchArgs({
  usage: 'npm run bench:startup      (or: npx tsx bench/startup.ts)',
  description: `CPU seconds of edge-digits --help and --version (builds first), next to a bare node -e 0. No options; the
environment sets the number of runs:

${helpLine('BENCH_RUNS=<n>', 'runs of each command, the median is reported', String(DEFAULT_RUNS))}`,
});

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'edge-digits.js');
const RUNS = Number(process.env.BENCH_RUNS ?? DEFAULT_RUNS);
const TARGET_S = 0.4;

/** CPU seconds of one run of `argv`, from bash's `time` (wait4 rusage: user + sys of the child and its children). */
function cpuSeconds(argv: readonly string[]): number {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; { time ${quoted} >/dev/null 2>&1 ; } 2>&1`], { encoding: 'utf8', cwd: os.tmpdir() });
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stdout);
  if (!m) throw new Error(`could not read the CPU time of ${argv.join(' ')}: ${r.stdout}${r.stderr}`);
  return Number(m[1]) + Number(m[2]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Build first (what `prepare` does on install), so the runs measure the CLI, not a rebuild.
execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
cpuSeconds([process.execPath, BIN, '--help']); // warm the file cache

const help: number[] = [];
const version: number[] = [];
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // Interleaved, so machine load drifts over all three alike.
  help.push(cpuSeconds([process.execPath, BIN, '--help']));
  version.push(cpuSeconds([process.execPath, BIN, '--version']));
  bare.push(cpuSeconds([process.execPath, '-e', '0']));
}
const helpMedian = median(help);
console.error(`--help ${helpMedian.toFixed(3)} s CPU median of ${RUNS} (runs: ${help.map((x) => x.toFixed(3)).join(' ')}); bare node ${median(bare).toFixed(3)} s`);
console.log(JSON.stringify({
  bench: 'startup',
  help_cpu_seconds_median: Number(helpMedian.toFixed(3)),
  version_cpu_seconds_median: Number(median(version).toFixed(3)),
  bare_node_cpu_seconds_median: Number(median(bare).toFixed(3)),
  help_over_bare_node: Number((helpMedian / median(bare)).toFixed(2)),
  runs: RUNS,
  target_cpu_seconds: TARGET_S,
  meets_target: helpMedian <= TARGET_S,
  help_cpu_seconds: help.map((x) => Number(x.toFixed(3))),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, load_average_1m: Number(os.loadavg()[0].toFixed(2)) },
  date: new Date().toISOString(),
}));
