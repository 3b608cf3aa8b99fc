/**
 * Writes a training set for `train --train-data <prefix>`: the MNIST training digits, plus camera-rendered copies
 * of the first --count of them (each through a room scene and the project's preprocessing; see
 * src/camera/camera-augment.ts), as `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte`.
 */
import { parseArgs } from 'node:util';
import { renderThroughCamera } from '../src/camera/camera-augment.js';
import { frameSeed } from '../src/camera/synthesize.js';
import { imageAt, loadDigitSet, PIXELS } from '../src/data/index.js';
import { writeFileAtomic } from '../src/files/index.js';

const HELP = `usage: tsx scripts/make-camera-augment.ts --out <prefix> [--count N] [--seed S] [--no-originals]

  --out <prefix>    output path prefix (folders are created)                          required
  --count <n>       MNIST training digits to render through the camera               default 10000
  --seed <s>        rendering seed                                                    default 1
  --no-originals    write only the camera-rendered copies, not the 60,000 originals too`;

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.length)]);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, 'no-originals': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { process.stdout.write(`${HELP}\n`); return 0; }
  if (!values.out) throw new Error(`--out is required\n\n${HELP}`);
  const count = values.count === undefined ? 10_000 : Number(values.count);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got '${values.count}'`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be an integer ≥ 0, got '${values.seed}'`);
  const train = loadDigitSet('mnist:train');
  if (count > train.count) throw new Error(`--count ${count} exceeds the ${train.count} training digits`);
  const originals = values['no-originals'] ? 0 : train.count;
  const images = new Uint8Array((originals + count) * PIXELS);
  const labels = new Uint8Array(originals + count);
  if (originals) { images.set(train.images.subarray(0, originals * PIXELS)); labels.set(train.labels.subarray(0, originals)); }
  let kept = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const digit = imageAt(train, i);
    const rendered = await renderThroughCamera(digit, frameSeed(seed, i));
    if (rendered) kept++;
    images.set(rendered ?? digit, (originals + i) * PIXELS);
    labels[originals + i] = train.labels[i];
    if (i % 1000 === 999) process.stderr.write(`  ${i + 1}/${count} (${((performance.now() - t0) / (i + 1)).toFixed(0)} ms each)\n`);
  }
  writeFileAtomic(`${values.out}-images-idx3-ubyte`, idx(0x00000803, [originals + count, 28, 28], images));
  writeFileAtomic(`${values.out}-labels-idx1-ubyte`, idx(0x00000801, [originals + count], labels));
  process.stdout.write(`wrote ${originals + count} digits (${originals} originals, ${count} through the camera, ${count - kept} kept as originals where no digit was found) to ${values.out}-*\n`);
  return 0;
}

main(process.argv.slice(2)).then((c) => process.exit(c), (e: unknown) => { process.stderr.write(`make-camera-augment: ${(e as Error).message}\n`); process.exit(2); });
