// Cost of one inference on an emulated Cortex-M4 (QEMU mps2-an386, -icount): instructions per inference and per
// MAC, per layer, a cycle estimate (the executed instruction mix weighted by the Cortex-M4 TRM's cycle counts) and
// the ms it gives at 64 MHz, and the flash/RAM of the ARM image, for the portable kernels and the DSP ones in the
// same run (both checked bit-exact against the simulator), with TensorFlow Lite Micro's reference kernels (-Os and
// -O2, from ../shared/tflm) as the peer. QEMU counts instructions, not cycles; see docs/m4-cost.md.
//   tsx bench/m4-cost.ts [artifact] [images]      (--help: the arguments and their defaults)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { SerialPort } from 'serialport';
import { generateFromArtifactFile, layerMacs, modelSteps, sha256Hex } from '../firmware-gen/index.js';
import { measureImageSize, QEMU_MACHINE, type Mps2Engine } from '../firmware-gen/targets/mps2/build.js';
import { loadDigitSet } from '../src/data/index.js';
import { BoardMessageDecoder, encodeClassifyRequest, type ClassifyReply } from '../src/device/protocol/index.js';

import { buildMps2TflmProbe, TFLM_DIR } from '../firmware-gen/targets/mps2/build.js';
import {
  analyseLayerProbe, CYCLE_MODEL, instructionsFromMicros, QEMU_BINARY, runQemuCalibration, runQemuCycleEstimate, runQemuDspCheck, runQemuLayerProbe,
  runQemuToDone, startQemuBoard, type QemuBoard,
} from '../src/device/index.js';
import { Simulator } from '../src/quantize/index.js';
import { ARTIFACT_ARGUMENT, parseBenchArgs, usageError } from './bench-args.js';

const PIXELS = 784;
const PROBE_IMAGES = 4;
const { positionals: [artifactPath, images] } = parseBenchArgs({
  usage: 'tsx bench/m4-cost.ts [artifact] [images]',
  description: "Instructions per inference on an emulated Cortex-M4 (QEMU mps2-an386 -icount), portable and DSP kernels, with\nTFLM's reference kernels as the peer.",
  positionals: [
    ARTIFACT_ARGUMENT,
    { name: 'images', help: 'MNIST test images sent to the board', default: '50' },
  ],
});
const imageCount = Number(images);
if (!Number.isInteger(imageCount) || imageCount < 1) usageError(`images must be a positive integer, got '${images}'`);

/** One request at a time over the pty, as the protocol asks; the reply's timing field is the board's count. */
async function classifyOnBoard(board: QemuBoard, images: Uint8Array, count: number): Promise<ClassifyReply[]> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: board.port, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(p)));
  });
  const decoder = new BoardMessageDecoder();
  const replies: ClassifyReply[] = [];
  port.on('data', (chunk: Buffer) => {
    for (const r of decoder.push(chunk)) if (r.ok && r.message.kind === 'classify-reply') replies.push(r.message);
  });
  try {
    for (let i = 0; i < count; i++) {
      port.write(Buffer.from(encodeClassifyRequest(i, images.subarray(i * PIXELS, (i + 1) * PIXELS))));
      const t0 = performance.now();
      while (replies.length <= i) {
        if (performance.now() - t0 > 10_000) throw new Error(`board: no classify reply to image ${i} within 10 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      if (replies[i].seq !== i || replies[i].status !== 0) throw new Error(`board: image ${i} got seq ${replies[i].seq} status ${replies[i].status}`);
    }
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
  return replies;
}

const firstLine = (tool: string, args: string[]): string => spawnSync(tool, args, { encoding: 'utf8' }).stdout?.split('\n', 1)[0] ?? '';
const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

const fw = generateFromArtifactFile(artifactPath, 'host');
const set = loadDigitSet('mnist:test', imageCount);
const expected = new Simulator(fw.model).classifyMany(set.images, set.count);

const calibration = await runQemuCalibration();
// Stamp 0 of the probe is the input quantization; the rest follow the generated kernel calls (a conv with its fused
// max-pool is one call) in order.
const steps = [{ op: 'quantize', layers: [] as readonly number[], macs: 0 }, ...modelSteps(fw.model)];

/** One engine: its board (timing field over the protocol), its layer probe, its image size. */
async function measure(engine: Mps2Engine) {
  const board = await startQemuBoard({ artifact: artifactPath, engine });
  let replies: ClassifyReply[];
  try {
    replies = await classifyOnBoard(board, set.images, set.count);
  } finally {
    await board.close();
  }
  replies.forEach((r, i) => {
    const want = Array.from(expected.logits.subarray(i * 10, i * 10 + 10));
    if (Array.from(r.logits).join() !== want.join()) throw new Error(`${engine}: board logits differ from the simulator on image ${i}: ${Array.from(r.logits).join()} vs ${want.join()}`);
  });
  const clock = board.clock;
  const perImage = replies.map((r) => instructionsFromMicros(r.inferenceMicros, clock) - calibration.timingOverheadInstructions);
  const mean = perImage.reduce((a, b) => a + b, 0) / perImage.length;
  const probe = await runQemuLayerProbe(artifactPath, set.images, Math.min(PROBE_IMAGES, set.count), { engine });
  probe.forEach((p, i) => {
    if (Array.from(p.logits).join() !== Array.from(expected.logits.subarray(i * 10, i * 10 + 10)).join()) throw new Error(`${engine}: layer probe logits differ from the simulator on image ${i}`);
  });
  const layers = probe[0].layers.map((l, i) => {
    const instructions = probe.reduce((a, p) => a + p.layers[i].instructions, 0) / probe.length;
    const step = steps[i];
    if (step?.op !== l.op) throw new Error(`${engine}: layer probe stamp ${i} is '${l.op}', the generated model's call ${i} is '${step?.op}'`);
    const macs = step.macs;
    return { index: i, op: l.op, layers: step.layers, macs, instructions: Math.round(instructions), instructions_per_mac: macs ? round(instructions / macs) : null };
  });
  const probeMean = probe.reduce((a, p) => a + p.classifyInstructions, 0) / probe.length;
  const cpi = clock.cpiNum / clock.cpiDen;
  const cycles = await runQemuCycleEstimate(artifactPath, set.images.subarray(0, PIXELS), { engine });
  return {
    clock,
    result: {
      engine,
      bit_exact_with_simulator: true,
      instructions_per_inference: Math.round(mean),
      instructions_per_inference_range: [Math.round(Math.min(...perImage)), Math.round(Math.max(...perImage))],
      instructions_per_inference_layer_probe: Math.round(probeMean),
      instructions_per_mac: round(mean / fw.macs),
      estimated_cycles: cycles.estimate.cycles,
      estimated_cycles_per_instruction: round(cycles.estimate.cycles_per_instruction, 3),
      estimated_ms_at_64mhz: round(cycles.estimate.cycles / (clock.cpuMhz * 1000)),
      cycle_estimate_instructions: cycles.estimate.instructions,
      instruction_mix: cycles.estimate.classes,
      board_timing_field_ms_at_cpi_1_5: round((mean * cpi) / (clock.cpuMhz * 1000)),
      layers,
      arm_image: { elf: board.elf, ...measureImageSize(board.elf), stack_reserved_bytes: 16 * 1024 },
    },
  };
}

const portable = await measure('portable');
const dsp = await measure('dsp');

/** TFLM's reference kernels on the same core and image, at -Os and -O2 (release: NDEBUG). */
async function measureTflm(optimization: '-Os' | '-O2') {
  const image = buildMps2TflmProbe(fw.model, set.images, 1, optimization);
  const probe = analyseLayerProbe((await runQemuToDone(image, { timeoutMs: 300_000 })).text, image.clock)[0];
  if (Array.from(probe.logits).join() !== Array.from(expected.logits.subarray(0, 10)).join()) throw new Error(`TFLM ${optimization}: logits differ from the simulator on image 0`);
  const layers = probe.layers.map((l, i) => {
    const macs = i === 0 ? 0 : layerMacs(fw.model.layers[i - 1]);
    return { index: i, op: l.op, macs, instructions: Math.round(l.instructions), instructions_per_mac: macs ? round(l.instructions / macs) : null };
  });
  return { optimization, defines: '-DTF_LITE_STATIC_MEMORY -DNDEBUG', bit_exact_with_simulator: true, instructions_per_inference: Math.round(probe.classifyInstructions), instructions_per_mac: round(probe.classifyInstructions / fw.macs), layers };
}
// The TFLM peer probe wires conv, max-pool and dense only: a model with a logistic layer (the mlp) runs without it.
const tflmFits = fw.model.layers.every((l) => l.op !== 'logistic');
const tflm = existsSync(TFLM_DIR) && tflmFits ? [await measureTflm('-Os'), await measureTflm('-O2')] : [];
if (!tflm.length) console.warn(`m4-cost: no TFLM peer (${tflmFits ? `${TFLM_DIR} not found` : 'the probe has no logistic op'})`);
const dspChecks = await runQemuDspCheck();
const failed = dspChecks.filter((c) => c.mismatches > 0);
if (failed.length) throw new Error(`kernel check failed (ed_dsp.h or the packed loop against the reference): ${failed.map((c) => `${c.name} ${c.mismatches}/${c.cases} (${c.firstMismatch})`).join('; ')}`);
const clock = portable.clock;

console.log(JSON.stringify({
  bench: 'm4-cost',
  model: artifactPath,
  artifact_sha256: sha256Hex(readFileSync(artifactPath)),
  machine: `${QEMU_BINARY} -M ${QEMU_MACHINE} (Cortex-M4F) -icount shift=${clock.icountShift}: counts instructions, not Cortex-M4 cycles`,
  images: set.count,
  macs: fw.macs,
  // The portable path (ed_kernels.h, what cores without DSP run) at the top level; the DSP path (what the generated
  // engine picks on a Cortex-M4, so on the Nano 33 BLE) below.
  instructions_per_inference: portable.result.instructions_per_inference,
  instructions_per_mac: portable.result.instructions_per_mac,
  flash_bytes: portable.result.arm_image.flash_bytes,
  ram_bytes: portable.result.arm_image.ram_bytes,
  cycle_model: CYCLE_MODEL,
  targets: { portable_instructions_per_mac: 2, dsp_instructions_per_mac: 1 },
  targets_met: { portable: portable.result.instructions_per_inference <= 2 * fw.macs, dsp: dsp.result.instructions_per_inference <= 1 * fw.macs },
  cortex_m4_default_kernels: 'dsp',
  portable: portable.result,
  dsp: { ...dsp.result, kernel_checks: dspChecks.map((c) => ({ name: c.name, cases: c.cases, mismatches: c.mismatches })) },
  dsp_speedup: round(portable.result.instructions_per_inference / dsp.result.instructions_per_inference),
  tflm_reference: tflm,
  dsp_vs_tflm_o2: tflm.length ? round(tflm[1].instructions_per_inference / dsp.result.instructions_per_inference) : null,
  calibration: {
    expected_ticks_per_instruction: calibration.expectedTicksPerInstruction,
    max_slope_error: calibration.maxSlopeError,
    max_residual_ticks: round(Math.max(...calibration.loops.map((l) => l.maxResidualTicks))),
    timing_overhead_instructions: round(calibration.timingOverheadInstructions),
  },
  toolchain: { gcc: firstLine('arm-none-eabi-gcc', ['--version']), qemu: firstLine(QEMU_BINARY, ['--version']), flags: '-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os' },
  host: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
  date: new Date().toISOString(),
}));
