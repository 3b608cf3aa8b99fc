import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedBuild, runTool } from '../../cached-build.js';
import { PROTOCOL_DIR, PROTOCOL_FILES } from '../../protocol/files.js';
import { ENGINE_DIR, ENGINE_HEADERS, FIRMWARE_GEN_DIR } from '../../engine-files.js';
import type { GeneratedFile, GeneratedFirmware } from '../../generate.js';
import { STRICT_C_FLAGS } from '../../host-engine.js';
import type { Int8Model } from '../../../src/quantize/index.js';
import { CORTEX_M4_FLAGS, SIZE_SECTION_FLAGS, parseSizeSections } from '../../size.js';

/**
 * The QEMU board: the generated engine + model and the protocol core, with the MPS2 AN386 HAL in this folder,
 * cross-compiled into one ELF that `qemu-system-arm -M mps2-an386 -kernel` boots.
 */
export const MPS2_DIR = path.dirname(fileURLToPath(import.meta.url));
export const QEMU_MACHINE = 'mps2-an386';

const HAL_FILES = ['mps2_hw.h', 'mps2_uart.h', 'mps2_uart.c', 'mps2_clock.h', 'mps2_clock.c', 'startup.c'] as const;
const PIXELS = 784;
const LINKER_SCRIPT = 'mps2.ld';

/**
 * How the instruction count is read and turned into a latency estimate; compiled into the firmware as
 * -D definitions (mps2_clock.h) and used by the host to read the numbers back.
 */
export interface InstructionClock {
  /** `-icount shift=N`: every instruction advances QEMU's virtual clock by 2^N ns. */
  readonly icountShift: number;
  /** Clock of the core the latency is estimated for. */
  readonly cpuMhz: number;
  /** Cycles per instruction assumed for that estimate, as a fraction. */
  readonly cpiNum: number;
  readonly cpiDen: number;
}

/**
 * shift 6: timer0 (25 MHz) advances 1.6 ticks per instruction, finer than one instruction. 64 MHz: the Nano 33
 * BLE's nRF52840. CPI 3/2: the Cortex-M4 TRM cycle counts of the loop that runs most of the instructions (the
 * second conv's inner loop: loads 2 cycles, taken branch ~3, the rest 1) give ~1.46; see docs/m4-cost.md.
 */
export const DEFAULT_INSTRUCTION_CLOCK: InstructionClock = { icountShift: 6, cpuMhz: 64, cpiNum: 3, cpiDen: 2 };

/** timer0 runs at the 25 MHz system clock: 40 ns per tick. */
export const TIMER_NS_PER_TICK = 40;

export function timerTicksPerInstruction(clock: InstructionClock): number {
  return 2 ** clock.icountShift / TIMER_NS_PER_TICK;
}

export function assertInstructionClock(clock: InstructionClock): void {
  const ok = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;
  if (!ok(clock.icountShift, 0, 10)) throw new TypeError(`instruction clock: icountShift must be an integer 0..10, got ${clock.icountShift}`);
  if (!ok(clock.cpuMhz, 1, 1000)) throw new TypeError(`instruction clock: cpuMhz must be an integer 1..1000, got ${clock.cpuMhz}`);
  if (!ok(clock.cpiNum, 1, 64) || !ok(clock.cpiDen, 1, 64)) throw new TypeError(`instruction clock: CPI must be a fraction of integers 1..64, got ${clock.cpiNum}/${clock.cpiDen}`);
}

function clockDefines(clock: InstructionClock): string[] {
  return [
    `-DED_MPS2_ICOUNT_SHIFT=${clock.icountShift}`, `-DED_MPS2_CPU_MHZ=${clock.cpuMhz}`,
    `-DED_MPS2_CPI_NUM=${clock.cpiNum}`, `-DED_MPS2_CPI_DEN=${clock.cpiDen}`,
  ];
}

/**
 * Which kernels run Conv2D, FullyConnected and MaxPool: 'portable' = ed_kernels.h as every target ships it,
 * 'dsp' = ed_dsp.h (SXTB16/SMLAD/SEL, bit-identical), compiled in through a wrapper around the model source.
 */
export const MPS2_ENGINES = ['portable', 'dsp'] as const;
export type Mps2Engine = (typeof MPS2_ENGINES)[number];

export interface Mps2BuildOptions {
  readonly clock?: InstructionClock;
  readonly engine?: Mps2Engine;
  readonly compiler?: string;
  /** Where built images are kept, one folder per hash of everything that goes into the build. */
  readonly cacheDir?: string;
}

export interface Mps2Image {
  readonly elf: string;
  readonly engine: Mps2Engine;
  /** Hash of compiler, flags and sources: the cache key. */
  readonly key: string;
  readonly clock: InstructionClock;
}

const fileFrom = (dir: string, name: string): GeneratedFile => ({ path: name, content: readFileSync(path.join(dir, name), 'utf8') });

/** Compiles and links `files` (flat, one folder) into an ELF, once per distinct input (cachedBuild). */
function buildImage(files: readonly GeneratedFile[], name: string, o: Mps2BuildOptions, defines: readonly string[] = []): Mps2Image {
  const clock = o.clock ?? DEFAULT_INSTRUCTION_CLOCK;
  assertInstructionClock(clock);
  const flags = [...CORTEX_M4_FLAGS, ...STRICT_C_FLAGS, ...SIZE_SECTION_FLAGS, ...clockDefines(clock), ...defines];
  const linkFlags = ['--specs=nano.specs', '-nostartfiles', '-Wl,--gc-sections', '-T', LINKER_SCRIPT];
  const sources = files.filter((f) => f.path.endsWith('.c')).map((f) => f.path);
  const built = cachedBuild({
    compiler: o.compiler ?? 'arm-none-eabi-gcc',
    args: [...flags, ...linkFlags, '-I', '.', ...sources, '-o', `${name}.elf`, `-Wl,-Map=${name}.map`],
    files, output: `${name}.elf`, cacheName: 'mps2', cacheDir: o.cacheDir,
    what: `building ${name}.elf for ${QEMU_MACHINE}`,
  });
  return { elf: built.path, engine: o.engine ?? 'portable', key: built.key, clock };
}

/** The generated model source: the one .c file of the 'host' set besides the engine's. */
function modelSourceOf(fw: GeneratedFirmware): string {
  if (fw.target !== 'host') throw new TypeError(`mps2: expects the generator's 'host' file set (engine + model), got target '${fw.target}'`);
  const sources = fw.cSources.filter((s) => s !== 'ed_engine.c');
  if (sources.length !== 1) throw new Error(`mps2: expected one generated model source besides ed_engine.c, got ${sources.join(', ') || 'none'}`);
  return sources[0];
}

/** Generated files together with the model they came from (generateFromArtifactFile returns this). */
export type ModelFirmware = GeneratedFirmware & { readonly model: Int8Model };

/** Kernel names the generated model calls (ed_kernels.h dispatches them to the portable or the DSP kernels). */
export const MODEL_KERNELS = [
  { name: 'ed_quantize_input', op: 'quantize', args: 'pixels, input' },
  { name: 'ed_conv2d_s8', op: 'conv2d', args: 'p, input, output' },
  { name: 'ed_conv2d_max_pool_s8', op: 'conv2d+maxpool', args: 'p, input, output' },
  { name: 'ed_max_pool_s8', op: 'maxpool', args: 'p, input, output' },
  { name: 'ed_fully_connected_s8', op: 'dense', args: 'p, input, output' },
  { name: 'ed_logistic_s8', op: 'logistic', args: 'p, input, output' },
] as const;

/** ED_DSP_KERNELS for an engine: the generated engine picks ed_dsp.h by itself on an M4, so 'portable' says no. */
const engineDefines = (engine: Mps2Engine): string[] => [`-DED_DSP_KERNELS=${engine === 'dsp' ? 1 : 0}`];

/**
 * The generated model source, compiled as it is for the board, or for the layer probe through a wrapper that
 * includes it after macros stamping the clock around each kernel call. Parenthesised names are not
 * macro-expanded, so a macro can call the function of its own name.
 */
function wrapModel(fw: ModelFirmware, engine: Mps2Engine, probe: boolean): { files: GeneratedFile[]; defines: string[] } {
  if (!probe) return { files: [...fw.files], defines: engineDefines(engine) };
  const modelSource = modelSourceOf(fw);
  const modelInclude = `${modelSource}.inc`;
  const macros = MODEL_KERNELS.map((k) => `#define ${k.name}(${k.args}) LAYER_PROBE_TIME((${k.name})(${k.args}), "${k.op}")`);
  const wrapper = [
    `/* Generated by firmware-gen/targets/mps2/build.ts: ${modelSource} with the ${engine} kernels, every kernel call timed. */`,
    // The kernels first, so that the macros below do not rewrite their definitions; the model's own includes are then no-ops.
    '#include "ed_kernels.h"',
    ...(fw.model.layers.some((l) => l.op === 'logistic') ? ['#include "ed_logistic.h"'] : []),
    '#include "layer_probe.h"',
    ...macros,
    `#include "${modelInclude}"`,
    '',
  ].join('\n');
  return {
    files: [
      ...fw.files.map((f) => (f.path === modelSource ? { path: modelInclude, content: f.content } : f)),
      { path: `model_${engine}_probe.c`, content: wrapper },
    ],
    defines: engineDefines(engine),
  };
}

/** Every file of the board image: generated engine + model (+ ed_dsp.h), protocol core, HAL, main, linker script. */
export function mps2FirmwareFiles(fw: ModelFirmware, engine: Mps2Engine = 'portable'): { files: GeneratedFile[]; defines: string[] } {
  const model = wrapModel(fw, engine, false);
  return {
    files: [
      ...model.files,
      ...PROTOCOL_FILES.map((n) => fileFrom(PROTOCOL_DIR, n)),
      ...[...HAL_FILES, 'main.c', LINKER_SCRIPT].map((n) => fileFrom(MPS2_DIR, n)),
    ],
    defines: model.defines,
  };
}

/** The board firmware for one generated model. Needs gcc-arm-none-eabi + libnewlib-arm-none-eabi. */
export function buildMps2Firmware(fw: ModelFirmware, o: Mps2BuildOptions = {}): Mps2Image {
  const { files, defines } = mps2FirmwareFiles(fw, o.engine ?? 'portable');
  return buildImage(files, 'edge-digits-mps2', o, defines);
}

/** The calibration program (calibrate_main.c): same startup, UART and clock, no engine. */
export function buildMps2Calibration(o: Mps2BuildOptions = {}): Mps2Image {
  const files = [...HAL_FILES, 'calibrate_main.c', LINKER_SCRIPT].map((n) => fileFrom(MPS2_DIR, n));
  return buildImage(files, 'edge-digits-mps2-calibrate', o);
}

function layerProbeImages(images: Uint8Array, count: number): string {
  const rows: string[] = [];
  for (let i = 0; i < count; i++) rows.push(`  { ${Array.from(images.subarray(i * PIXELS, (i + 1) * PIXELS)).join(',')} },`);
  return [
    '/* Generated by firmware-gen/targets/mps2/build.ts: the images the layer probe classifies. */',
    '#ifndef LAYER_PROBE_IMAGES_H',
    '#define LAYER_PROBE_IMAGES_H',
    '#include <stdint.h>',
    `#define LAYER_PROBE_IMAGE_COUNT ${count}u`,
    `static const uint8_t layer_probe_images[${count}][${PIXELS}] = {`,
    ...rows,
    '};',
    '#endif',
    '',
  ].join('\n');
}

/**
 * The layer probe (layer_probe_main.c): the generated engine and model with each kernel call timed, classifying
 * `count` images compiled into the image. Same flags and kernels as the board firmware.
 */
export function buildMps2LayerProbe(fw: ModelFirmware, images: Uint8Array, count: number, o: Mps2BuildOptions = {}): Mps2Image {
  if (!Number.isInteger(count) || count < 1 || images.length < count * PIXELS) throw new RangeError(`buildMps2LayerProbe: ${count} images need ${count * PIXELS} bytes, got ${images.length}`);
  const model = wrapModel(fw, o.engine ?? 'portable', true);
  const files: GeneratedFile[] = [
    ...model.files,
    { path: 'layer_probe_images.h', content: layerProbeImages(images, count) },
    ...[...HAL_FILES, 'layer_probe.h', 'layer_probe_main.c', LINKER_SCRIPT].map((n) => fileFrom(MPS2_DIR, n)),
  ];
  return buildImage(files, 'edge-digits-mps2-layer-probe', o, model.defines);
}

/**
 * The DSP kernel check (dsp_check_main.c): ed_dsp.h against ed_kernels.h on random shapes and values, run on the
 * emulated M4 (ed_dsp.h needs the DSP instructions, so it cannot run on the host).
 */
export function buildMps2DspCheck(o: Mps2BuildOptions = {}): Mps2Image {
  const files: GeneratedFile[] = [
    ...ENGINE_HEADERS.map((n) => fileFrom(ENGINE_DIR, n)),
    ...[...HAL_FILES, 'dsp_check_main.c', LINKER_SCRIPT].map((n) => fileFrom(MPS2_DIR, n)),
  ];
  return buildImage(files, 'edge-digits-mps2-dsp-check', { ...o, engine: 'dsp' }, [
    ...engineDefines('dsp'),
  ]);
}

export interface ImageSize {
  /** Vector table, code, constants and .data initialisers: what a real board keeps in flash. */
  readonly flash_bytes: number;
  /** .data + .bss (arena, receive buffer, board state). The stack (16 KB reserved by mps2.ld) comes on top. */
  readonly ram_bytes: number;
  readonly sections: Readonly<Record<string, number>>;
}

/** Section sizes of a linked image from `arm-none-eabi-size -A -d`. */
export function measureImageSize(elf: string, sizeTool = 'arm-none-eabi-size'): ImageSize {
  const sections = parseSizeSections(runTool(sizeTool, ['-A', '-d', elf], `reading the section sizes of ${elf}`));
  const get = (n: string): number => sections.get(n) ?? 0;
  const flash = get('.isr_vector') + get('.text') + get('.rodata') + get('.ARM.exidx') + get('.data');
  const loaded = ['.isr_vector', '.text', '.rodata', '.ARM.exidx', '.data', '.bss'].map((n) => [n, get(n)] as const);
  return { flash_bytes: flash, ram_bytes: get('.data') + get('.bss'), sections: Object.fromEntries(loaded) };
}

/** Where TensorFlow Lite Micro's reference kernels are (the shared conformance oracle, ../shared/tflm). */
export const TFLM_DIR = path.resolve(FIRMWARE_GEN_DIR, '..', '..', 'shared', 'tflm');
const TFLM_SOURCES = ['common.cc', 'runtime_shape.cc'] as const;

const cArray = (type: string, name: string, values: readonly number[]): string => `static const ${type} ${name}[${values.length}] = {${values.join(',')}};`;

/** The model as tflm_probe_main.cc reads it: every layer's shapes, parameters and arrays, and the images. */
function tflmProbeModel(model: Int8Model, images: Uint8Array, count: number): string {
  const lines = ['/* Generated by firmware-gen/targets/mps2/build.ts: the model and images for tflm_probe_main.cc. */', '#include <stdint.h>',
    'enum { TFLM_CONV, TFLM_MAXPOOL, TFLM_DENSE };',
    'struct tflm_layer { int op, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, input_offset, output_offset, act_min, act_max;',
    '  const int8_t *weights; const int32_t *bias; const int32_t *multipliers; const int32_t *shifts; };'];
  const rows: string[] = [];
  model.layers.forEach((l, i) => {
    // The peer probe wires only the ops of the cnn presets; a logistic layer (the mlp) has no row format here.
    if (l.op === 'logistic') throw new Error(`the TFLM probe runs conv2d, maxpool and dense layers only; layer ${i} (${l.name}) is logistic`);
    const [ih, iw, ic] = l.inShape.length === 3 ? l.inShape : [1, 1, l.inShape[0]];
    const [oh, ow, oc] = l.outShape.length === 3 ? l.outShape : [1, 1, l.outShape[0]];
    if (l.op !== 'maxpool') {
      lines.push(cArray('int8_t', `w${i}`, l.weights), cArray('int32_t', `b${i}`, l.bias), cArray('int32_t', `m${i}`, l.multipliers), cArray('int32_t', `s${i}`, l.shifts));
    }
    const k = l.op === 'conv2d' ? l.kernel : l.op === 'maxpool' ? l.pool : [1, 1];
    const s = l.op === 'dense' ? [1, 1] : l.stride;
    const pad = l.op === 'conv2d' ? [l.padTop, l.padLeft] : [0, 0];
    const op = l.op === 'conv2d' ? 'TFLM_CONV' : l.op === 'maxpool' ? 'TFLM_MAXPOOL' : 'TFLM_DENSE';
    const arrays = l.op === 'maxpool' ? '0, 0, 0, 0' : `w${i}, b${i}, m${i}, s${i}`;
    rows.push(`  {${op}, ${ih}, ${iw}, ${ic}, ${oh}, ${ow}, ${oc}, ${k[0]}, ${k[1]}, ${s[0]}, ${s[1]}, ${pad[0]}, ${pad[1]}, ${-l.input.zeroPoint}, ${l.output.zeroPoint}, ${l.activationMin}, ${l.activationMax}, ${arrays}},`);
  });
  const biggest = Math.max(784, ...model.layers.map((l) => l.outShape.reduce((a, b) => a * b, 1)));
  lines.push(`#define TFLM_LAYER_COUNT ${model.layers.length + 1}`, `#define TFLM_MAX_TENSOR ${biggest}`, `#define TFLM_IMAGE_COUNT ${count}u`,
    'static const tflm_layer tflm_layers[] = {', ...rows, '};', `static const uint8_t tflm_images[${count}][${PIXELS}] = {`);
  for (let i = 0; i < count; i++) lines.push(`  {${Array.from(images.subarray(i * PIXELS, (i + 1) * PIXELS)).join(',')}},`);
  lines.push('};', '');
  return lines.join('\n');
}

/**
 * TFLM's reference kernels on the emulated M4 (tflm_probe_main.cc), built by arm-none-eabi-g++ at `optimization`
 * with the project's Cortex-M4 flags otherwise: the peer bench/m4-cost.ts measures the project's kernels against.
 * release (the default) defines NDEBUG as TFLM's release builds do, which turns its TFLITE_DCHECKs into no-ops.
 * Needs ../shared/tflm and libstdc++-arm-none-eabi-newlib.
 */
export function buildMps2TflmProbe(model: Int8Model, images: Uint8Array, count: number, optimization: '-Os' | '-O2', o: Mps2BuildOptions & { readonly release?: boolean } = {}): Mps2Image {
  const clock = o.clock ?? DEFAULT_INSTRUCTION_CLOCK;
  const halC = HAL_FILES.filter((f) => f.endsWith('.c'));
  const files: GeneratedFile[] = [
    ...[...HAL_FILES, 'tflm_probe_main.cc', LINKER_SCRIPT].map((n) => fileFrom(MPS2_DIR, n)),
    ...TFLM_SOURCES.map((n) => ({ path: n, content: readFileSync(path.join(TFLM_DIR, 'tensorflow', 'lite', 'kernels', 'internal', n), 'utf8') })),
    { path: 'tflm_probe_model.h', content: tflmProbeModel(model, images, count) },
  ];
  const flags = [...CORTEX_M4_FLAGS.filter((f) => f !== '-Os'), optimization, ...SIZE_SECTION_FLAGS, ...clockDefines(clock), '-DTF_LITE_STATIC_MEMORY', ...(o.release === false ? [] : ['-DNDEBUG']), '-fno-exceptions', '-fno-rtti'];
  const built = cachedBuild({
    // The gcc driver compiles the HAL as C and the .cc files as C++ (g++ would take startup.c for C++).
    compiler: o.compiler ?? 'arm-none-eabi-gcc',
    args: [...flags, '--specs=nano.specs', '--specs=nosys.specs', '-nostartfiles', '-Wl,--gc-sections', '-T', LINKER_SCRIPT, '-I', '.', '-I', TFLM_DIR,
      ...halC, 'tflm_probe_main.cc', ...TFLM_SOURCES, '-lstdc++', '-Wl,--defsym=end=__bss_end', '-o', 'tflm-probe.elf'],
    files, output: 'tflm-probe.elf', cacheName: 'mps2', cacheDir: o.cacheDir, what: `building the TFLM reference kernels (${optimization}${o.release === false ? ', DCHECKs on' : ''}) for ${QEMU_MACHINE}`,
  });
  return { elf: built.path, engine: 'portable', key: built.key, clock };
}
