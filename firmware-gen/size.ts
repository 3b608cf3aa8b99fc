import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool } from './cached-build.js';
import { ENGINE_DIR } from './engine-files.js';
import { writeGeneratedFiles, type GeneratedFirmware } from './generate.js';
import { STRICT_C_FLAGS } from './host-engine.js';

/** The Nano 33 BLE's Cortex-M4F, exactly as the brief's flash/RAM targets are stated. */
export const CORTEX_M4_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-Os'] as const;
export const SIZE_SECTION_FLAGS = ['-ffunction-sections', '-fdata-sections'] as const;
/**
 * The default model's budget on the Cortex-M4 DSP build (engine + model, `--gc-sections`): 32 KB of flash and
 * 14 336 B of static RAM (issue 17); `within_limits` says whether a build meets it, and the default model's test
 * fails when it does not.
 */
export const FLASH_LIMIT_BYTES = 32 * 1024;
export const RAM_LIMIT_BYTES = 14_336;

const PROBE_DIR = path.join(ENGINE_DIR, 'size-probe');

export interface FirmwareSize {
  readonly target: 'cortex-m4';
  readonly compiler: string;
  readonly flags: string;
  /** Which kernels the build compiled: a Cortex-M4 has the DSP extension, so ed_kernels.h picks ed_dsp_conv.h and ed_dsp_fully_connected.h. */
  readonly kernels: 'dsp';
  /** Everything that must sit in flash: vector table, code, constants, .data initialisers. */
  readonly flash_bytes: number;
  /** Static RAM: .data + .bss (the arena included). The stack comes on top, see stack_bytes_estimate. */
  readonly ram_bytes: number;
  readonly arena_bytes: number;
  readonly sections: { readonly text: number; readonly rodata: number; readonly data: number; readonly bss: number };
  /** Bytes of const model arrays (weights, biases, multipliers, shifts) in the linked image. */
  readonly model_const_bytes: number;
  /** Frames of ed_classify + ed_model_forward + the largest other engine function (gcc -fstack-usage). */
  readonly stack_bytes_estimate: number;
  /** The probe's own vector table and reset loop, included in the totals above. */
  readonly probe_overhead_bytes: { readonly flash: number; readonly ram: number };
  readonly limits: { readonly flash_bytes: number; readonly ram_bytes: number };
  readonly within_limits: boolean;
}

/** `arm-none-eabi-size -A -d` → section name → bytes. */
export function parseSizeSections(text: string): Map<string, number> {
  const sections = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+\s*$/.exec(line.trim());
    if (m) sections.set(m[1], Number(m[2]));
  }
  return sections;
}

/** `nm -S` lines → symbol → size. */
function parseNmSizes(text: string): Map<string, { size: number; type: string }> {
  const out = new Map<string, { size: number; type: string }>();
  for (const line of text.split('\n')) {
    const m = /^[0-9a-f]+\s+([0-9a-f]+)\s+(\w)\s+(\S+)$/i.exec(line.trim());
    if (m) out.set(m[3], { size: parseInt(m[1], 16), type: m[2] });
  }
  return out;
}

/** gcc .su lines: `file:line:col:function<TAB>bytes<TAB>static|dynamic|bounded`. */
function parseStackUsage(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /:([A-Za-z_][\w.]*)\t(\d+)\t/.exec(line);
    if (m) out.set(m[1].replace(/\..*$/, ''), Math.max(out.get(m[1]) ?? 0, Number(m[2])));
  }
  return out;
}

/**
 * Cross-compiles the generated engine + model for the Cortex-M4 (-Os, per-function/data sections), links it
 * with the size probe and --gc-sections, and reads the sections back. Needs gcc-arm-none-eabi.
 */
export function measureFirmwareSize(fw: GeneratedFirmware, o: { readonly compiler?: string; readonly keepDir?: string } = {}): FirmwareSize {
  const gcc = o.compiler ?? 'arm-none-eabi-gcc';
  const toolPrefix = gcc.replace(/gcc$/, '');
  const work = o.keepDir ?? mkdtempSync(path.join(os.tmpdir(), 'edge-digits-size-'));
  try {
    writeGeneratedFiles(path.join(work, 'src'), fw.files);
    const include = path.join(work, 'src', fw.includeDir);
    // An Arduino library renames the engine's symbols per model (ed_prefix.h): the probe must call them so too.
    const prefixHeader = fw.files.some((f) => f.path === `${fw.includeDir}/ed_prefix.h`) ? ['-include', path.join(include, 'ed_prefix.h')] : [];
    const flags = [...CORTEX_M4_FLAGS, ...STRICT_C_FLAGS, ...SIZE_SECTION_FLAGS, ...prefixHeader];
    const sources = [...fw.cSources.map((s) => path.join(work, 'src', s)), path.join(PROBE_DIR, 'startup.c')];
    const objects = sources.map((src, i) => {
      const obj = path.join(work, `${i}-${path.basename(src, '.c')}.o`);
      runTool(gcc, [...flags, '-fstack-usage', '-I', include, '-c', src, '-o', obj], `cross-compiling ${path.basename(src)}`);
      return obj;
    });
    const elf = path.join(work, 'probe.elf');
    runTool(gcc, [...flags, '-nostdlib', '-nostartfiles', '-T', path.join(PROBE_DIR, 'cortex-m4.ld'), '-Wl,--gc-sections', ...objects, '-lgcc', '-o', elf], 'linking the size probe');
    const sections = parseSizeSections(runTool(`${toolPrefix}size`, ['-A', '-d', elf], 'reading section sizes'));
    const symbols = parseNmSizes(runTool(`${toolPrefix}nm`, ['-S', elf], 'reading symbol sizes'));
    const probeObject = parseSizeSections(runTool(`${toolPrefix}size`, ['-A', '-d', objects[objects.length - 1]], 'reading the probe object'));
    const stack = parseStackUsage(readdirSync(work).filter((f) => f.endsWith('.su')).map((f) => readFileSync(path.join(work, f), 'utf8')).join('\n'));

    const get = (name: string): number => sections.get(name) ?? 0;
    const text = get('.isr_vector') + get('.text');
    const rodata = get('.rodata') + get('.ARM.exidx');
    const data = get('.data');
    const bss = get('.bss');
    const arena = symbols.get(`${fw.prefix}_arena`)?.size ?? 0;
    if (arena !== fw.plan.bytes) throw new Error(`size probe: ${fw.prefix}_arena is ${arena} bytes in the linked image, the plan says ${fw.plan.bytes}`);
    let modelConst = 0;
    for (const [name, s] of symbols) if (name.startsWith(`${fw.prefix}_l`) && /^[rR]$/.test(s.type)) modelConst += s.size;
    const chain = (stack.get('ed_classify') ?? 0) + (stack.get('ed_model_forward') ?? 0);
    const others = [...stack].filter(([f]) => f.startsWith('ed_') && f !== 'ed_classify' && f !== 'ed_model_forward').map(([, b]) => b);
    const probeBytes = (prefixes: readonly string[]): number =>
      [...probeObject].filter(([n]) => prefixes.some((p) => n.startsWith(p))).reduce((a, [, b]) => a + b, 0);
    const flash = text + rodata + data;
    const ram = data + bss;
    return {
      target: 'cortex-m4',
      compiler: runTool(gcc, ['--version'], 'asking the cross compiler its version').split('\n', 1)[0],
      flags: [...flags, '-Wl,--gc-sections'].join(' '),
      kernels: 'dsp',
      flash_bytes: flash,
      ram_bytes: ram,
      arena_bytes: arena,
      sections: { text, rodata, data, bss },
      model_const_bytes: modelConst,
      stack_bytes_estimate: chain + Math.max(0, ...others),
      probe_overhead_bytes: { flash: probeBytes(['.text', '.isr_vector', '.rodata', '.data']), ram: probeBytes(['.bss', '.data']) },
      limits: { flash_bytes: FLASH_LIMIT_BYTES, ram_bytes: RAM_LIMIT_BYTES },
      within_limits: flash <= FLASH_LIMIT_BYTES && ram <= RAM_LIMIT_BYTES,
    };
  } finally {
    if (!o.keepDir) rmSync(work, { recursive: true, force: true });
  }
}
