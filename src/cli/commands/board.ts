import { DigitBoard, startQemuBoard, startVirtualBoard } from '../../device/index.js';
import { checkPortPath, choiceOption, CliError, type Command } from '../command.js';
import { isArtifact } from '../engines.js';
import { untilStopped } from '../until-stopped.js';
import { defaultArtifactPath } from '../package-root.js';
import { writeJsonLine } from '../json-output.js';
import { LINK_OPTIONS, linkOptionsFrom } from '../link-options.js';
import type { DigitBoardOptions } from '../../device/index.js';

export const DEFAULT_ARTIFACT = defaultArtifactPath();

async function runVirtual(model: string, link: string | undefined, pinLog: string | undefined, json: boolean): Promise<number> {
  if (!isArtifact(model)) throw new CliError(`--model must be an int8 artifact (model.int8.json); '${model}' is not — run 'edge-digits quantize' first`);
  const log = (s: string): void => { process.stderr.write(`${s}\n`); };
  const vb = await startVirtualBoard({ artifact: model, ...(link ? { link } : {}), pinLog: pinLog ?? 'stderr', log });
  const stopped = untilStopped();
  if (json) writeJsonLine({ port: vb.path, pty: vb.ptyPath, pid: vb.pid, exe: vb.exe, pin_log: vb.pinLog, model });
  else process.stdout.write(`port ${vb.path}\n`);
  log(`virtual board running ${model} on ${vb.ptyPath}${link ? ` (link ${link})` : ''}; pin changes → ${vb.pinLog}. Ctrl-C to stop.`);
  log(`try: edge-digits classify --port ${vb.path} <image.png>   or   edge-digits eval --engine board --port ${vb.path} --model ${model}`);
  await stopped;
  await vb.close();
  log('virtual board stopped');
  return 0;
}

/** The firmware cross-compiled for a Cortex-M4 and booted in QEMU (mps2-an386), its UART0 on a pty; docs/m4-cost.md. */
async function runQemu(model: string, kernels: 'dsp' | 'portable', json: boolean): Promise<number> {
  if (!isArtifact(model)) throw new CliError(`--model must be an int8 artifact (model.int8.json); '${model}' is not — run 'edge-digits quantize' first`);
  const log = (s: string): void => { process.stderr.write(`${s}\n`); };
  const qb = await startQemuBoard({ artifact: model, engine: kernels, log });
  const stopped = untilStopped();
  if (json) writeJsonLine({ port: qb.port, pid: qb.pid, elf: qb.elf, kernels: qb.engine, clock: qb.clock, model });
  else process.stdout.write(`port ${qb.port}\n`);
  log(`QEMU board running ${model} on ${qb.port}; the classify reply's timing is µs at ${qb.clock.cpuMhz} MHz, CPI ${qb.clock.cpiNum}/${qb.clock.cpiDen} assumed. Ctrl-C to stop.`);
  log(`try: edge-digits classify --port ${qb.port} <image.png>   or   edge-digits eval --engine board --port ${qb.port} --model ${model}`);
  await stopped;
  await qb.close();
  log('QEMU board stopped');
  return 0;
}

/** Connects to a real board and prints what it says about itself. */
async function describeBoard(port: string, json: boolean, link: DigitBoardOptions): Promise<number> {
  const board = await DigitBoard.connect(port, { ...link, reconnect: false });
  try {
    const i = board.info;
    const out = {
      port, firmware: i.firmwareName, firmware_version: i.firmwareVersion, protocol: `${i.protocol.protocolMajor}.${i.protocol.protocolMinor}`,
      image: `${i.protocol.imageWidth}x${i.protocol.imageHeight}`, classes: i.protocol.classCount, max_sysex_body: i.protocol.maxSysexBody,
      pins: i.pins, analog_pins: i.analogPins,
    };
    if (json) writeJsonLine(out);
    else process.stdout.write(`${Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
    return 0;
  } finally {
    await board.close();
  }
}

export const boardCommand: Command = {
  name: 'board',
  summary: 'start the virtual board or the QEMU board (the generated firmware behind a pty) until Ctrl-C, or describe a real board',
  usage: 'board --virtual [--model <model.int8.json>] [--link <path>] [--pin-log <file>] [--json]  |  board --qemu [--model <model.int8.json>] [--kernels dsp|portable] [--json]  |  board --port <path> [--json]',
  options: {
    virtual: { type: 'boolean', help: 'build the generated C for --model with the posix HAL and serve it on a pseudo-terminal' },
    qemu: { type: 'boolean', help: 'cross-compile the firmware for --model and boot it on an emulated Cortex-M4 (QEMU mps2-an386), UART0 on a pseudo-terminal' },
    model: { type: 'string', default: DEFAULT_ARTIFACT, help: 'int8 artifact the virtual or QEMU board runs', arg: 'path' },
    kernels: { type: 'string', default: 'dsp', help: 'QEMU board: dsp (ed_dsp_*.h, what a Cortex-M4 build picks) or portable (the kernels of cores without DSP); same logits', arg: 'name' },
    link: { type: 'string', help: 'stable symlink to the pty (kept across restarts of the virtual board)', arg: 'path' },
    'pin-log': { type: 'string', help: 'write pin mode changes and output writes there (JSON lines); default: stderr', arg: 'file' },
    port: { type: 'string', help: 'a real board\'s serial port: connect and print its firmware, protocol and pins', arg: 'path' },
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
    ...LINK_OPTIONS,
  },
  examples: [
    'edge-digits board --virtual --link /tmp/edge-digits-board',
    'edge-digits board --qemu --json',
    'edge-digits board --port /dev/ttyACM0',
  ],
  async run(v) {
    const json = v.json === true;
    if ([v.virtual === true, v.qemu === true, typeof v.port === 'string'].filter(Boolean).length > 1) throw new CliError('--virtual, --qemu and --port exclude each other');
    if (v.qemu) return runQemu(String(v.model), choiceOption(String(v.kernels), 'kernels', ['dsp', 'portable']), json);
    if (v.virtual) return runVirtual(String(v.model), typeof v.link === 'string' ? v.link : undefined, typeof v['pin-log'] === 'string' ? v['pin-log'] : undefined, json);
    if (typeof v.port === 'string') {
      checkPortPath(v.port);
      return describeBoard(v.port, json, linkOptionsFrom(v));
    }
    throw new CliError('board needs --virtual (start a virtual board), --qemu (start the QEMU board) or --port <path> (describe a real one); see \'edge-digits board --help\'');
  },
};
