/**
 * bench:serve — the page in a real browser (chromium-headless-shell, fake camera playing the held-digit clip of
 * the browser test) against `serve`'s own server on the virtual board: end-to-end latency from the camera's
 * capture time (requestVideoFrameCallback's captureTime) to the answer drawn in the page, and answered frames
 * per second, as the page itself measures them (edgeDigits.stats()). The simulator engine runs the same way in
 * the same run as the peer without a serial link. Targets: p50 ≤ 100 ms, ≥ 15 answered frames/s.
 *
 *   npm run bench:serve [-- options]      (--help: every option and its default)
 */
import os from 'node:os';
import { loadArtifact } from '../src/quantize/index.js';
import { openServeEngine, startServer, type EngineChoice } from '../src/serve/index.js';
import { heldDigitClip, launchBrowser, pickDigits, CHROMIUM } from '../test/serve-support.js';
import { DEFAULT_ARTIFACT, parseBenchArgs } from './bench-args.js';

const { values } = parseBenchArgs({
  usage: 'npm run bench:serve [-- options]      (or: npx tsx bench/serve.ts [options])',
  description: `The page in headless Chromium (fake camera) against serve's server on the virtual board, the simulator as the peer:
end-to-end latency and answered frames/s as the page measures them.`,
  options: {
    seconds: { type: 'string', default: '10', arg: 's', help: 'measured seconds per engine' },
    warmup: { type: 'string', default: '3', arg: 's', help: 'seconds before measuring' },
    model: { type: 'string', default: DEFAULT_ARTIFACT, arg: 'file', help: 'int8 model artifact' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const model = String(values.model);
const artifact = loadArtifact(model);

interface Frame { at: number; endToEnd: number; capture: number; preprocess: number; board: number; reply: number; inferenceUs: number | null; classified: boolean }

const pct = (v: number[], p: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? Number(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))].toFixed(1)) : NaN;
};

const clip = await heldDigitClip(pickDigits(2026));
const browser = await launchBrowser(clip);

async function measure(choice: EngineChoice): Promise<Record<string, unknown>> {
  const engine = await openServeEngine(choice, model, () => {});
  const server = await startServer({
    engine, port: 0,
    model: { path: model, sourceSha256: artifact.source.sha256, outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint },
  });
  const context = await browser.browser.newContext({ permissions: ['camera'] });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('#link.state-connected', { timeout: 15_000 });
    await page.waitForTimeout(warmup * 1000);
    const stats = (): Promise<{ answered: number; recent: Frame[] }> => page.evaluate(() => (window as unknown as { edgeDigits: { stats(): { answered: number; recent: Frame[] } } }).edgeDigits.stats());
    const [t0, before] = [await page.evaluate(() => performance.now()), (await stats()).answered];
    const load0 = os.loadavg()[0];
    await page.waitForTimeout(seconds * 1000);
    const [t1, after] = [await page.evaluate(() => performance.now()), await stats()];
    const frames = after.recent.filter((f) => f.at >= t0 && f.at <= t1);
    const e2e = frames.map((f) => f.endToEnd);
    const med = (k: keyof Frame): number => pct(frames.map((f) => f[k] as number), 50);
    return {
      engine: server.boardStatus().name,
      answered_frames: after.answered - before,
      answered_fps: Number(((after.answered - before) / ((t1 - t0) / 1000)).toFixed(1)),
      end_to_end_ms: { p50: pct(e2e, 50), p90: pct(e2e, 90), p99: pct(e2e, 99) },
      split_ms_p50: { capture: med('capture'), preprocess: med('preprocess'), board: pct(frames.filter((f) => f.classified).map((f) => f.board), 50), reply: med('reply') },
      inference_us_p50: pct(frames.map((f) => f.inferenceUs).filter((v): v is number => v !== null), 50),
      load_average_1m: Number(((load0 + os.loadavg()[0]) / 2).toFixed(2)),
    };
  } finally {
    await context.close();
    await server.close();
    await engine.close();
  }
}

let board: Record<string, unknown>;
let sim: Record<string, unknown>;
try {
  board = await measure({ kind: 'virtual' });
  console.error(`virtual board: ${JSON.stringify(board)}`);
  sim = await measure({ kind: 'sim' });
  console.error(`simulator: ${JSON.stringify(sim)}`);
} finally {
  await browser.close();
}
const p50 = (board.end_to_end_ms as { p50: number }).p50;
const fps = board.answered_fps as number;
console.log(JSON.stringify({
  bench: 'serve',
  what: 'fake camera (640x480 @ 30 fps, held digits) → page → WebSocket → host preprocess → board → answer drawn in the page; measured by the page',
  model, seconds, warmup_seconds: warmup,
  virtual_board: board,
  simulator_peer: sim,
  board_vs_sim: { p50_ratio: Number((p50 / (sim.end_to_end_ms as { p50: number }).p50).toFixed(2)), fps_ratio: Number((fps / (sim.answered_fps as number)).toFixed(2)) },
  targets: { end_to_end_p50_ms: 100, answered_fps: 15 },
  targets_met: p50 <= 100 && fps >= 15,
  browser: CHROMIUM,
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  date: new Date().toISOString(),
}));
