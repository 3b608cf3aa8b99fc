import path from 'node:path';
import { decodeImage, preprocess } from '../../camera/index.js';
import { DigitBoard, startVirtualBoard, type ClassifyOutcome, type VirtualBoard } from '../../device/index.js';
import { checkPortPath, CliError, intOption, type Command } from '../command.js';
import { isArtifact } from '../engines.js';
import { DEFAULT_ARTIFACT } from './board.js';
import { LINK_OPTIONS, linkOptionsFrom } from '../link-options.js';

type Prepared = { readonly file: string; readonly pixels: Uint8Array; readonly how: string } | { readonly file: string; readonly error: string };

/**
 * 28×28 files are taken as MNIST-layout pixels already (light digit on black, centred); anything else goes
 * through the camera preprocessing (ink detection, polarity, crop, MNIST-style centring), which may find no digit.
 */
export async function prepareImage(file: string): Promise<Prepared> {
  let image;
  try {
    image = await decodeImage(file);
  } catch (e) {
    return { file, error: `cannot decode: ${(e as Error).message}` };
  }
  if (image.width === 28 && image.height === 28) return { file, pixels: image.gray, how: '28×28 as is' };
  const r = await preprocess({ ...image, timestampMs: 0, index: 0, source: file });
  if (r.kind === 'none') return { file, error: `no digit found (${r.code}): ${r.reason}` };
  return { file, pixels: r.pixels, how: `${image.width}×${image.height} → 28×28 (${r.geometry.polarity})` };
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify image files (PNG, JPEG, …) on a board over its serial port, or on the virtual board',
  usage: 'classify (--port <path> | --virtual [--model <model.int8.json>]) [--window N] [--json] <image files…>',
  options: {
    port: { type: 'string', help: 'serial port of a board running edge-digits firmware (or a virtual board\'s port)', arg: 'path' },
    ...LINK_OPTIONS,
    virtual: { type: 'boolean', help: 'start a virtual board for --model just for this run' },
    model: { type: 'string', default: DEFAULT_ARTIFACT, help: 'int8 artifact for --virtual', arg: 'path' },
    window: { type: 'string', default: '4', help: 'requests in flight at once (1 for a Nano 33 BLE under load)', arg: 'N' },
    json: { type: 'boolean', help: 'one JSON line per file: {"file", "digit", "logits", "device_us", "round_trip_ms"} or {"file", "error"}' },
  },
  positionals: true,
  examples: [
    'edge-digits classify --virtual digit.png',
    'edge-digits classify --port /dev/ttyACM0 --json photos/*.jpg',
  ],
  async run(v, files) {
    if (files.length === 0) throw new CliError('classify needs at least one image file; see \'edge-digits classify --help\'');
    const port = typeof v.port === 'string' ? v.port : undefined;
    if (port && v.virtual) throw new CliError('--port and --virtual exclude each other: --port is a real board, --virtual starts one');
    if (!port && !v.virtual) throw new CliError('classify needs --port <serial port> or --virtual');
    if (port) checkPortPath(port);
    const window = intOption(v.window, 'window', 1, 64) as number;
    const model = String(v.model);
    if (v.virtual && !isArtifact(model)) throw new CliError(`--model must be an int8 artifact (model.int8.json); '${model}' is not`);
    const log = (s: string): void => { process.stderr.write(`${s}\n`); };

    const prepared = await Promise.all(files.map((f) => prepareImage(f)));
    const ready = prepared.filter((p): p is Extract<Prepared, { pixels: Uint8Array }> => 'pixels' in p);
    let virtual: VirtualBoard | null = null;
    let failures = prepared.length - ready.length;
    const print = (file: string, o: ClassifyOutcome | { ok: false; error: Error | string }, how = ''): void => {
      const name = path.basename(file) === file ? file : path.relative(process.cwd(), file);
      if (o.ok) {
        process.stdout.write(v.json
          ? `${JSON.stringify({ file: name, digit: o.digit, logits: Array.from(o.logits), device_us: o.deviceMicros, round_trip_ms: Number(o.roundTripMs.toFixed(3)) })}\n`
          : `${name}: ${o.digit}   logits [${Array.from(o.logits).join(' ')}]   ${o.deviceMicros} µs on the board, ${o.roundTripMs.toFixed(1)} ms round trip (${how})\n`);
      } else {
        const error = typeof o.error === 'string' ? o.error : o.error.message;
        process.stdout.write(v.json ? `${JSON.stringify({ file: name, error })}\n` : `${name}: ${error}\n`);
      }
    };
    for (const p of prepared) if ('error' in p) print(p.file, { ok: false, error: p.error });
    if (ready.length === 0) return 1;

    try {
      if (v.virtual) virtual = await startVirtualBoard({ artifact: model, log });
      const board = await DigitBoard.connect(virtual ? virtual.path : (port as string), { ...linkOptionsFrom(v), reconnect: false, maxInFlight: window });
      try {
        for await (const o of board.classifyMany(ready.map((p) => p.pixels), { window })) {
          if (!o.ok) failures++;
          print(ready[o.index].file, o, ready[o.index].how);
        }
      } finally {
        await board.close();
      }
    } finally {
      await virtual?.close();
    }
    return failures > 0 ? 1 : 0;
  },
};
