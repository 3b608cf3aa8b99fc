import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFromArtifactFile } from '../../firmware-gen/index.js';
import { buildMps2LayerProbe, DEFAULT_INSTRUCTION_CLOCK, type Mps2Engine } from '../../firmware-gen/targets/mps2/build.js';
import { QemuError } from './qemu-board.js';
import { analyseLayerProbe, runQemuToDone, type ProbedImage } from './qemu-probes.js';

/**
 * A Cortex-M4 cycle estimate from the instructions QEMU executed. QEMU counts instructions, not cycles; this
 * weights the executed instruction mix of the engine's code by the cycle counts of the Cortex-M4 Technical
 * Reference Manual (ARM DDI 0439, Table 3-1, zero wait states), so the estimate is as good as that table and the
 * few simplifications named in CYCLE_MODEL. It is an estimate, not a measurement: bus and flash wait states,
 * interrupts and the exact branch refill (P = 1..3) are not modelled.
 */
export const CYCLE_MODEL = {
  source: 'Cortex-M4 TRM (ARM DDI 0439) Table 3-1, zero wait states',
  pipelineRefill: 2,
  classes: {
    alu: 'data processing, shifts, extends (SXTB16, SXTAB16), saturation, IT: 1',
    multiply: 'MUL/MLA/MLS, SMULL/SMLAL/UMULL/UMLAL, SMLAD/SMUAD/SMMLAR/SMMUL (single-cycle MAC on the M4): 1',
    divide: 'SDIV/UDIV: 2..12, taken as 7',
    load: 'single load (LDR/LDRB/LDRH/LDRSB/LDRSH): 2, or 1 right after another single load or store (pipelined)',
    store: 'single store (STR/STRB/STRH): 1 (the write buffer takes it)',
    load_store_double: 'LDRD/STRD: 3 (1 + N, N = 2)',
    load_store_multiple: 'LDM/STM/PUSH/POP: 1 + N; + P when it loads the PC',
    branch: 'taken branch (B, BL, BX, CBZ/CBNZ, a load or move to PC): 1 + P, P = 2; not taken: 1',
  },
} as const;

export type CycleClass = keyof typeof CYCLE_MODEL.classes;

export interface CycleEstimate {
  readonly instructions: number;
  readonly cycles: number;
  readonly cycles_per_instruction: number;
  readonly classes: Readonly<Record<CycleClass, { readonly instructions: number; readonly cycles: number }>>;
}

interface Instruction { readonly address: number; readonly size: number; readonly mnemonic: string; readonly operands: string }

const registerCount = (operands: string): number => {
  const list = /\{([^}]*)\}/.exec(operands)?.[1] ?? '';
  return list.split(',').reduce((n, r) => {
    const range = /r(\d+)\s*-\s*r(\d+)/.exec(r);
    return n + (range ? Number(range[2]) - Number(range[1]) + 1 : r.trim() ? 1 : 0);
  }, 0);
};

/** The class of one instruction and its cycles, without the branch refill (added when the branch is taken). */
export function classifyInstruction(mnemonic: string, operands: string, afterSingleLoadOrStore: boolean): { cls: CycleClass; cycles: number; branch: boolean } {
  const m = mnemonic.replace(/\.(w|n)$/, '');
  const writesPc = /^(pop|ldm|ldmia|ldmfd)/.test(m) ? /\bpc\b/.test(operands) : /^(ldr|mov|add)\w*$/.test(m) && /^pc\b/.test(operands.trim());
  if (/^(b|bl|blx|bx|cbz|cbnz|tbb|tbh)(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?$/.test(m)) return { cls: 'branch', cycles: 1, branch: true };
  if (/^(push|pop|ldm|stm)/.test(m)) return { cls: 'load_store_multiple', cycles: 1 + registerCount(operands), branch: writesPc };
  if (/^(ldrd|strd)/.test(m)) return { cls: 'load_store_double', cycles: 3, branch: false };
  if (/^ldr/.test(m)) return { cls: writesPc ? 'branch' : 'load', cycles: afterSingleLoadOrStore ? 1 : 2, branch: writesPc };
  if (/^str/.test(m)) return { cls: 'store', cycles: 1, branch: false };
  if (/^[su]div/.test(m)) return { cls: 'divide', cycles: 7, branch: false };
  if (/^(mul|mla|mls|[su]mull|[su]mlal|smla|smul|smua|smus|smls|smml|smmu|smlsd|smlald|smlsld|umaal)/.test(m)) return { cls: 'multiply', cycles: 1, branch: false };
  return { cls: 'alu', cycles: 1, branch: writesPc };
}

/**
 * Parses a QEMU `-d in_asm,exec,nochain` log: every translated block's instructions (in_asm) and every execution
 * of a block (exec; nochain makes QEMU log each one), and weights the executions of blocks whose function name
 * passes `keep` by CYCLE_MODEL. A branch ending a block counts as taken when the next executed block does not start
 * right after it.
 */
export function estimateCycles(log: string, keep: (symbol: string) => boolean): CycleEstimate {
  const blocks = new Map<number, Instruction[]>();
  const lines = log.split('\n');
  let current: Instruction[] | null = null;
  const executions: { pc: number; symbol: string }[] = [];
  for (const line of lines) {
    const insn = /^0x([0-9a-f]+):\s+((?:[0-9a-f]{4}\s?)+)\s+(\S+)\s*(.*)$/.exec(line);
    if (insn && current) {
      const bytes = insn[2].trim().replace(/\s/g, '').length / 2;
      current.push({ address: parseInt(insn[1], 16), size: bytes, mnemonic: insn[3], operands: insn[4] });
      continue;
    }
    if (line.startsWith('IN:')) {
      current = [];
      continue;
    }
    if (current && current.length) {
      blocks.set(current[0].address, current);
      current = null;
    }
    const exec = /^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+\/([0-9a-f]+)\/[0-9a-f]+\/[0-9a-f]+\] (\S*)/.exec(line);
    if (exec) executions.push({ pc: parseInt(exec[1], 16), symbol: exec[2] });
  }
  if (current && current.length) blocks.set(current[0].address, current);
  const classes = Object.fromEntries(Object.keys(CYCLE_MODEL.classes).map((c) => [c, { instructions: 0, cycles: 0 }])) as Record<CycleClass, { instructions: number; cycles: number }>;
  let instructions = 0;
  let cycles = 0;
  executions.forEach((e, i) => {
    if (!keep(e.symbol)) return;
    const block = blocks.get(e.pc);
    if (!block) throw new QemuError(`cycle estimate: block at 0x${e.pc.toString(16)} executed but never translated in the log`);
    let previousSingle = false;
    block.forEach((insn, k) => {
      const c = classifyInstruction(insn.mnemonic, insn.operands, previousSingle);
      let cost = c.cycles;
      if (c.branch && k === block.length - 1) {
        const next = executions[i + 1]?.pc;
        if (next !== undefined && next !== insn.address + insn.size) cost += CYCLE_MODEL.pipelineRefill;
      }
      previousSingle = c.cls === 'load' || c.cls === 'store';
      classes[c.cls].instructions += 1;
      classes[c.cls].cycles += cost;
      instructions += 1;
      cycles += cost;
    });
  });
  return { instructions, cycles, cycles_per_instruction: instructions ? cycles / instructions : 0, classes };
}

/**
 * Runs the layer probe on one image with QEMU's execution log and estimates the cycles of the engine's code
 * (every function whose name starts with `ed_`: ed_classify and all it calls), with its probed layers.
 */
export async function runQemuCycleEstimate(artifact: string, image: Uint8Array, o: { readonly engine?: Mps2Engine; readonly qemu?: string; readonly timeoutMs?: number } = {}): Promise<{ estimate: CycleEstimate; probe: ProbedImage }> {
  const fw = generateFromArtifactFile(artifact, 'host');
  const elf = buildMps2LayerProbe(fw, image, 1, { clock: DEFAULT_INSTRUCTION_CLOCK, engine: o.engine ?? 'dsp' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-digits-cycles-'));
  try {
    const logFile = path.join(dir, 'exec.log');
    const { text } = await runQemuToDone(elf, { ...o, extraArgs: ['-d', 'in_asm,exec,nochain', '-D', logFile], timeoutMs: o.timeoutMs ?? 180_000 });
    const probe = analyseLayerProbe(text, elf.clock)[0];
    return { estimate: estimateCycles(readFileSync(logFile, 'utf8'), (s) => s.startsWith('ed_')), probe };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
