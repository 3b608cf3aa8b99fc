import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  listCameras, openFrameSource, openPreprocessPool, preprocess, renderAscii, sourceKind, SOURCE_SPEC_HELP, type PreprocessOptions, type PreprocessPool, type RoiSpec,
} from '../../camera/index.js';
import { loadArtifact } from '../../quantize/load.js';
import { Simulator } from '../../quantize/simulator.js';
import { defaultArtifactPath } from '../package-root.js';
import { checkPortPath, choiceOption, CliError, intOption, numberOption, type Command } from '../command.js';
import { recognize, type DigitClassifier, type FrameOutcome } from '../live/recognize.js';
import { LiveView } from '../live/view.js';
import { openBoardClassifier } from '../live/board-classifier.js';
import { writeJsonLine } from '../json-output.js';
import { LINK_OPTIONS, linkOptionsFrom } from '../link-options.js';

const DEFAULT_MODEL = defaultArtifactPath();

function simClassifier(artifactPath: string): DigitClassifier {
  const sim = new Simulator(loadArtifact(artifactPath));
  return {
    name: 'sim',
    classify: async (pixels) => sim.classify(pixels),
    close: async () => {},
  };
}

/** --camera/--video/--images/--source → one source spec; none given: the first camera, else MNIST test frames. */
async function chooseSource(v: Record<string, unknown>, log: (s: string) => void): Promise<string> {
  const given = (['camera', 'video', 'images', 'source'] as const).filter((k) => typeof v[k] === 'string');
  if (given.length > 1) throw new CliError(`give one source, not --${given.join(' and --')}`);
  if (v.camera !== undefined) return `camera:${String(v.camera)}`;
  if (typeof v.video === 'string') return v.video;
  if (typeof v.images === 'string') return v.images;
  if (typeof v.source === 'string') return v.source;
  const cameras = await listCameras().catch(() => []);
  if (cameras.length > 0) {
    log(`source: camera ${cameras[0].id} (${cameras[0].name}); pass --source mnist:test to use test frames`);
    return `camera:${cameras[0].id}`;
  }
  log('source: no camera found; using MNIST test digits rendered as camera frames (--source mnist:test)');
  return 'mnist:test';
}

export const runCommand: Command = {
  name: 'run',
  summary: 'live recognition: camera/video/images → MNIST-style preprocessing → board (or simulator), with a live view',
  usage: 'run [--camera <dev> | --video <file> | --images <glob> | --source <spec>] [--virtual | --port <path> | --qemu | --engine sim] [--model <artifact>]',
  options: {
    camera: { type: 'string', help: 'capture from a camera (Linux /dev/videoN, macOS/Windows device name)', arg: 'dev' },
    video: { type: 'string', help: 'read a video file (any format ffmpeg decodes)', arg: 'file' },
    images: { type: 'string', help: "a folder, image file or quoted glob; a file name holding label<d> or digit<d> (e.g. shot-label7.jpg, img_digit=3.png) gives the label; unreadable files are reported and skipped", arg: 'glob' },
    source: { type: 'string', help: SOURCE_SPEC_HELP, arg: 'spec' },
    engine: { type: 'string', help: 'sim (TS int8 simulator), board (serial: --port or --virtual) or qemu (emulated Cortex-M4); default board on a virtual board', arg: 'name' },
    port: { type: 'string', help: 'serial port of a real board running the generated firmware', arg: 'path' },
    ...LINK_OPTIONS,
    virtual: { type: 'boolean', help: 'build and start the virtual board (the generated firmware on a pty) — the default' },
    qemu: { type: 'boolean', help: 'build the firmware for Cortex-M4 and run it in qemu-system-arm (mps2-an386)' },
    model: { type: 'string', default: DEFAULT_MODEL, help: 'int8 artifact', arg: 'file' },
    limit: { type: 'string', help: 'stop after N frames (default: 500 for mnist:* sources, unlimited otherwise)', arg: 'N' },
    window: { type: 'string', help: 'frames in flight at once (default: workers + 2, at least 4)', arg: 'N' },
    workers: { type: 'string', help: `worker threads preprocessing frames (default: the cores, ${os.cpus().length} here; 0 = in the main thread)`, arg: 'N' },
    stable: { type: 'string', default: '5', help: 'frames the steady answer votes over', arg: 'K' },
    'min-confidence': { type: 'string', default: '0.6', help: 'confidence floor (0..1) for a frame to vote', arg: 'p' },
    roi: { type: 'string', help: "region of interest: 'frame' (the whole frame, default), 'center' (the centre square), a fraction such as 0.6 (a smaller centred square), or x,y,w,h in pixels", arg: 'spec' },
    threshold: { type: 'string', help: 'ink/paper split: otsu (default) or adaptive', arg: 'method' },
    polarity: { type: 'string', help: 'auto (default), dark-on-light (pen on paper) or light-on-dark', arg: 'p' },
    realtime: { type: 'boolean', help: 'play videos at their own frame rate instead of as fast as possible' },
    'save-frames': { type: 'string', help: 'write each frame\'s 28×28 input as PNG into this folder', arg: 'dir' },
    seed: { type: 'string', default: '1', help: 'seed for mnist:* frame rendering', arg: 'N' },
    hold: { type: 'string', default: '15', help: 'mnist:* sources: frames each digit is held for, moving a little, as a hand holds paper', arg: 'N' },
    json: { type: 'boolean', help: 'one JSON line per frame, then the summary as the last line' },
  },
  examples: [
    'edge-digits run                                  # = npm start: virtual board, camera if present else MNIST frames',
    'edge-digits run --camera /dev/video0 --port /dev/ttyACM0',
    'edge-digits run --video clip.mp4 --engine sim --json',
    "edge-digits run --images 'shots/*.jpg' --virtual --save-frames /tmp/inputs",
  ],
  async run(v) {
    const log = (s: string): void => { process.stderr.write(s + '\n'); };
    const model = String(v.model);
    const artifact = loadArtifact(model);
    const spec = await chooseSource(v, log);
    try {
      sourceKind(spec); // a source that does not exist is bad input, said before any board is started
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const limit = intOption(v.limit, 'limit', 1) ?? (spec.startsWith('mnist:') ? 500 : undefined);
    const workers = intOption(v.workers, 'workers', 0, 64) ?? os.cpus().length;
    // Every worker busy needs a frame each in flight, plus one being decoded and one being classified.
    const window = intOption(v.window, 'window', 1, 64) ?? Math.max(4, workers + 2);
    const stableWindow = intOption(v.stable, 'stable', 1, 1000) ?? 5;
    const minConfidence = numberOption(v['min-confidence'], 'min-confidence', { min: 0, max: 1 }) ?? 0.6;
    const seed = intOption(v.seed, 'seed', 0, 2 ** 32 - 1) ?? 1;
    if (typeof v.port === 'string') checkPortPath(v.port);
    const pre: Partial<PreprocessOptions> = {
      ...(typeof v.roi === 'string' ? { roi: parseRoi(v.roi) } : {}),
      ...(v.threshold !== undefined ? { threshold: choiceOption(v.threshold, 'threshold', ['otsu', 'adaptive'] as const) } : {}),
      ...(v.polarity !== undefined ? { polarity: choiceOption(v.polarity, 'polarity', ['auto', 'dark-on-light', 'light-on-dark'] as const) } : {}),
    };
    const saveDir = typeof v['save-frames'] === 'string' ? v['save-frames'] : null;
    if (saveDir) mkdirSync(saveDir, { recursive: true });

    const engineChoice = typeof v.engine === 'string' ? choiceOption(v.engine, 'engine', ['sim', 'board', 'qemu']) : v.qemu ? 'qemu' : 'board';
    const abort = new AbortController();
    const onSignal = (): void => abort.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const classifier: DigitClassifier = engineChoice === 'sim'
      ? simClassifier(model)
      : await openBoardClassifier({ model, port: typeof v.port === 'string' ? v.port : undefined, qemu: engineChoice === 'qemu', log, link: linkOptionsFrom(v) });
    log(`model ${model} · engine ${classifier.name} · source ${spec}${limit ? ` (${limit} frames)` : ''}`);
    const view = new LiveView(v.json ? { write: () => {} } : process.stdout, (p) => renderAscii(p), classifier.name);
    let unreadable = 0;
    const onUnreadable = (file: string, index: number, message: string): void => {
      unreadable++;
      if (v.json) writeJsonLine({ index, source: file, error: message });
      else log(`frame ${index}: ${message} (skipped)`);
    };
    const hold = intOption(v.hold, 'hold', 1, 10_000) ?? 15;
    let pool: PreprocessPool | null = null;
    const source = openFrameSource(spec, { signal: abort.signal, seed, realtime: Boolean(v.realtime), onUnreadable, hold, ...(spec.startsWith('mnist:') && limit ? { count: Math.ceil(limit / hold) } : {}) });
    try {
      pool = workers > 0 ? await openPreprocessPool({ workers }) : null;
      const summary = await recognize(take(source, limit), {
        classifier, preprocess: pool ? pool.preprocess : preprocess, preprocessOptions: pre, window, stableWindow, minConfidence,
        outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint, signal: abort.signal,
        onOutcome: async (o: FrameOutcome) => {
          if (v.json) writeJsonLine(outcomeJson(o));
          else view.update(o);
          if (saveDir && o.pre.kind === 'digit') {
            const name = `${String(o.frame.index).padStart(5, '0')}${o.frame.label !== undefined ? `-label${o.frame.label}` : ''}-pred${o.digit}.png`;
            await sharp(Buffer.from(o.pre.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(path.join(saveDir, name));
          }
        },
      });
      if (v.json) {
        const { deviceMicros, ...rest } = summary;
        // device_us as in the frame lines; the other keys are snake_cased on the way out (no_digit, latency_ms).
        writeJsonLine({ summary: { engine: classifier.name, source: spec, model, ...rest, device_us: deviceMicros, unreadable } });
      } else {
        view.summary(summary);
        if (unreadable > 0) log(`${unreadable} unreadable image${unreadable > 1 ? 's' : ''} skipped`);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await source.return(undefined);
      await pool?.close();
      await classifier.close();
    }
    return unreadable > 0 ? 1 : 0;
  },
};

async function* take<T>(it: AsyncIterable<T>, limit: number | undefined): AsyncGenerator<T, void, undefined> {
  let n = 0;
  for await (const x of it) {
    if (limit !== undefined && n++ >= limit) return;
    yield x;
  }
}

function parseRoi(s: string): RoiSpec {
  if (s === 'frame' || s === 'whole') return { whole: true };
  if (s === 'center' || s === 'centre') return { fraction: 1 };
  const f = Number(s);
  if (Number.isFinite(f) && f > 0 && f <= 1) return { fraction: f };
  const parts = s.split(',').map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new CliError(`--roi expects 'frame', 'center', a fraction in (0, 1] for a centred square, or x,y,w,h in pixels; got '${s}'`);
  }
  return { x: parts[0], y: parts[1], width: parts[2], height: parts[3] };
}

function outcomeJson(o: FrameOutcome): Record<string, unknown> {
  return {
    index: o.frame.index, source: o.frame.source, label: o.frame.label ?? null,
    digit: o.digit, confidence: Number(o.confidence.toFixed(4)), logits: o.logits ? Array.from(o.logits) : null,
    no_digit: o.pre.kind === 'none' ? o.pre.code : null, steady: o.stable.digit,
    latency_ms: Number(o.latencyMs.toFixed(2)), device_us: o.deviceMicros ?? null,
  };
}
