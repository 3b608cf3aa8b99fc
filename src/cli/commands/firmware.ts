import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../files/index.js';
import path from 'node:path';
import {
  FIRMWARE_TARGETS, FLASH_LIMIT_BYTES, RAM_LIMIT_BYTES, arduinoLibraryName, arduinoLibraryZip, generateFromArtifactFile, measureFirmwareSize, writeGeneratedFiles, type FirmwareSize, type FirmwareTarget,
} from '../../../firmware-gen/index.js';
import { choiceOption, CliError, stringOption, type Command } from '../command.js';
import { isArtifact } from '../engines.js';
import { writeJsonLine } from '../json-output.js';

/**
 * Read-modify-write of the report next to the artifact (models/<name>/report.json): only the `firmware` key
 * changes, every other key is kept as it was.
 */
export function recordSizeInReport(artifactPath: string, size: FirmwareSize): string | null {
  const report = path.join(path.dirname(artifactPath), 'report.json');
  if (!existsSync(report)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8'));
  } catch (e) {
    throw new CliError(`${report}: cannot add the firmware size, the file is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${report}: expected a JSON object at the top level`);
  writeFileAtomic(report, `${JSON.stringify({ ...(parsed as Record<string, unknown>), firmware: size }, null, 2)}\n`);
  return report;
}

export const firmwareCommand: Command = {
  name: 'firmware',
  summary: 'generate C for the board (model arrays + int8 engine, or an Arduino library) and measure its size',
  usage: 'firmware --model <model.int8.json> --out <dir> [--target host|arduino [--zip]] [--size] [--json]',
  options: {
    model: { type: 'string', help: 'int8 artifact (model.int8.json)', arg: 'path' },
    out: { type: 'string', help: 'output folder (created; files from an earlier generation are replaced)', arg: 'dir' },
    target: { type: 'string', default: 'host', help: `host: engine + model C files; arduino: an Arduino library with an example sketch (${FIRMWARE_TARGETS.join(', ')})`, arg: 'name' },
    zip: { type: 'boolean', help: 'arduino: also write <out>/<library>.zip, for the IDE\'s "Add .ZIP Library" or arduino-cli lib install --zip-path' },
    size: { type: 'boolean', help: `cross-compile for Cortex-M4 (-Os) and print flash/RAM bytes as JSON, with the budget of ${FLASH_LIMIT_BYTES} B flash / ${RAM_LIMIT_BYTES} B RAM (limits, within_limits; a warning when over); saved under "firmware" in a report.json next to the artifact` },
    json: { type: 'boolean', help: 'print one JSON object: target, out, prefix, files, arena_bytes, params, macs (+ size)' },
  },
  examples: [
    'edge-digits firmware --model models/default/model.int8.json --out models/default/firmware/host',
    'edge-digits firmware --model models/default/model.int8.json --out models/default/firmware/arduino --target arduino --zip',
    'edge-digits firmware --model models/default/model.int8.json --size',
  ],
  async run(v) {
    const model = stringOption(v.model, 'model');
    if (!isArtifact(model)) throw new CliError(`--model must be an int8 artifact (model.int8.json), got '${model}'; run 'edge-digits quantize' first`);
    const target = choiceOption<FirmwareTarget>(v.target, 'target', FIRMWARE_TARGETS);
    const out = typeof v.out === 'string' && v.out !== '' ? v.out : undefined;
    if (!out && !v.size) throw new CliError('--out is required (or use --size alone to only measure)');
    if (out && existsSync(out) && !statSync(out).isDirectory()) throw new CliError(`--out ${out} is a file; give a folder for the generated C`);
    const log = (s: string): void => { process.stderr.write(`${s}\n`); };

    const fw = generateFromArtifactFile(model, target);
    let files: { written: string[]; unchanged: string[]; removed: string[] } | undefined;
    if (out) {
      files = writeGeneratedFiles(out, fw.files);
      if (!v.json) log(`${target}: ${fw.files.length} files in ${out} (${files.written.length} written, ${files.unchanged.length} unchanged${files.removed.length ? `, removed stale ${files.removed.join(', ')}` : ''}); arena ${fw.plan.bytes} bytes`);
    }
    let zip: string | undefined;
    if (v.zip) {
      if (target !== 'arduino') throw new CliError('--zip needs --target arduino');
      if (!out) throw new CliError('--zip needs --out <dir>');
      zip = path.join(out, `${arduinoLibraryName(fw.prefix)}.zip`);
      // Atomically: a half-written zip must never look like a library.
      writeFileAtomic(zip, arduinoLibraryZip(fw.files));
      if (!v.json) log(`arduino: library zip ${zip}`);
    }
    let size: FirmwareSize | undefined;
    if (v.size) {
      size = measureFirmwareSize(fw);
      // The budget is the default model's (firmware-gen/size.ts); another model may exceed it, so say so, not fail.
      if (!size.within_limits) log(`warning: ${size.flash_bytes} B flash / ${size.ram_bytes} B RAM is over the Cortex-M4 budget of ${size.limits.flash_bytes} / ${size.limits.ram_bytes} B`);
      const report = recordSizeInReport(model, size);
      if (report && !v.json) log(`size recorded under "firmware" in ${report}`);
    }
    if (v.json) {
      writeJsonLine({
        target, out: out ?? null, ...(zip ? { zip } : {}), prefix: fw.prefix, files: fw.files.map((f) => f.path), arena_bytes: fw.plan.bytes,
        params: fw.params, macs: fw.macs, ...(size ? { size } : {}),
      });
    } else if (size) {
      writeJsonLine(size);
    }
    return 0;
  },
};
