import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDigitSet } from '../src/data/index.js';
import { replaceFolderSync } from '../src/files/index.js';
// Not quantize/index.js: it also exports calibration, which loads tfjs; firmware needs none of it.
import { loadArtifact } from '../src/quantize/load.js';
import type { Int8Model } from '../src/quantize/artifact.js';
import { cIdentifier } from './c-syntax.js';
import { emitModelHeader, emitModelSource, modelHeaderName, modelSourceName, type ModelEmitContext } from './emit-model.js';
import { engineFile, engineFilesFor, FIRMWARE_GEN_DIR, GENERATED_MARKER, generatorVersion } from './engine-files.js';
import { chooseExampleDigit, type ExampleDigit } from './example-digit.js';
import { assertArenaPlanValid, checkAccumulatorBounds, layerMacs, layerParams, planArena, type ArenaPlan } from './plan.js';
import { ARDUINO_INTERNAL_DIR, arduinoLibraryFiles, arduinoLibraryName, type ArduinoLibraryMeta } from './targets/arduino/library.js';

export const FIRMWARE_TARGETS = ['host', 'arduino'] as const;
export type FirmwareTarget = (typeof FIRMWARE_TARGETS)[number];

/** One output file, path relative to the output folder, always '/'-separated. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

export interface FirmwareOptions {
  /** sha256 (hex) of the artifact file, stamped into the banner and ed_model_describe(). */
  readonly artifactSha256: string;
  readonly target?: FirmwareTarget;
  /** Defaults to package.json's version. */
  readonly generatorVersion?: string;
  /** Required for the arduino target: the digit its example sketch classifies. */
  readonly exampleDigit?: ExampleDigit;
  /** Arduino library metadata (url, maintainer, author, license); defaults from package.json. */
  readonly libraryMeta?: Partial<ArduinoLibraryMeta>;
}

export interface GeneratedFirmware {
  readonly target: FirmwareTarget;
  readonly prefix: string;
  readonly files: readonly GeneratedFile[];
  readonly plan: ArenaPlan;
  readonly params: number;
  readonly macs: number;
  /** Paths (within files) of the C translation units and the folder holding all headers. */
  readonly cSources: readonly string[];
  readonly includeDir: string;
}

/**
 * Generates C for a validated artifact: pure (no I/O beyond reading the engine sources), deterministic
 * (no dates, no absolute paths), so generating twice gives byte-identical files.
 */
export function generateFirmware(model: Int8Model, options: FirmwareOptions): GeneratedFirmware {
  if (!/^[0-9a-f]{64}$/.test(options.artifactSha256)) throw new TypeError(`generateFirmware: artifactSha256 must be 64 lower-case hex digits, got '${options.artifactSha256}'`);
  const target = options.target ?? 'host';
  if (!(FIRMWARE_TARGETS as readonly string[]).includes(target)) throw new TypeError(`generateFirmware: target must be one of ${FIRMWARE_TARGETS.join(', ')}, got '${String(target)}'`);
  checkAccumulatorBounds(model);
  const plan = planArena(model);
  assertArenaPlanValid(model, plan);
  const version = options.generatorVersion ?? generatorVersion();
  const prefix = cIdentifier(model.name);
  const ctx: ModelEmitContext = { model, prefix, artifactSha256: options.artifactSha256, generatorVersion: version, plan };
  const cFiles: GeneratedFile[] = [
    ...engineFilesFor(model.layers.map((l) => l.op)).map((name) => ({ path: name, content: engineFile(name) })),
    { path: modelHeaderName(prefix), content: emitModelHeader(ctx) },
    { path: modelSourceName(prefix), content: emitModelSource(ctx) },
  ];
  const cSources = cFiles.filter((f) => f.path.endsWith('.c')).map((f) => f.path);
  const facts = { prefix, plan, params: model.layers.reduce((a, l) => a + layerParams(l), 0), macs: model.layers.reduce((a, l) => a + layerMacs(l), 0) };
  if (target === 'host') return { target, files: cFiles, cSources, includeDir: '.', ...facts };

  if (!options.exampleDigit) throw new TypeError('generateFirmware: the arduino target needs options.exampleDigit (see chooseExampleDigit)');
  const files = arduinoLibraryFiles({
    model, prefix, artifactSha256: options.artifactSha256, generatorVersion: version, exampleDigit: options.exampleDigit, cFiles,
    meta: { ...defaultLibraryMeta(), ...options.libraryMeta },
  });
  // The engine + model sources (what --size measures); the library also carries the protocol core and HAL.
  const dir = `${arduinoLibraryName(prefix)}/${ARDUINO_INTERNAL_DIR}`;
  return { target, files, cSources: cSources.map((p) => `${dir}/${p}`), includeDir: dir, ...facts };
}

/** url, maintainer, author and license for the Arduino library, from package.json where it says. */
export function defaultLibraryMeta(): ArduinoLibraryMeta {
  const pkg = JSON.parse(readFileSync(path.join(FIRMWARE_GEN_DIR, '..', 'package.json'), 'utf8')) as { name?: string; homepage?: string; author?: string | { name?: string; email?: string }; license?: string };
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name ? `${pkg.author.name}${pkg.author.email ? ` <${pkg.author.email}>` : ''}` : '';
  const name = pkg.name ?? 'edge-digits';
  return {
    url: pkg.homepage ?? `https://www.npmjs.com/package/${name}`,
    maintainer: /<[^<>\s]+@[^<>\s]+>$/.test(author) ? author : `${name} maintainers <${name}@users.noreply.github.com>`,
    author: author.replace(/\s*<[^>]*>$/, '') || `${name} contributors`,
    license: pkg.license ?? 'MIT',
  };
}

export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** Loads, validates and hashes an artifact file, picks the example digit when needed, and generates. */
export function generateFromArtifactFile(artifactPath: string, target: FirmwareTarget = 'host'): GeneratedFirmware & { readonly model: Int8Model } {
  const model = loadArtifact(artifactPath);
  const artifactSha256 = sha256Hex(readFileSync(artifactPath));
  const exampleDigit = target === 'arduino' ? chooseExampleDigit(model, loadDigitSet('mnist:test', 1000)) : undefined;
  return { ...generateFirmware(model, { artifactSha256, target, ...(exampleDigit ? { exampleDigit } : {}) }), model };
}

function listFiles(dir: string, base = ''): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(dir, base), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const rel = base ? `${base}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, rel) : e.isFile() ? [rel] : [];
  });
}

function isGeneratedFile(file: string): boolean {
  try {
    // Every generated or copied file names the generator in its first two lines (block comments open on line 1).
    return readFileSync(file, 'utf8').split('\n', 2).join('\n').includes(GENERATED_MARKER);
  } catch {
    return false;
  }
}

/**
 * Writes the files under `dir`, leaving unchanged files untouched, and removes files an earlier generation left
 * there (a model renamed from a to b would otherwise leave a_model.c to be linked twice). Only files whose first
 * two lines carry the generator's marker are ever removed.
 */
export function writeGeneratedFiles(dir: string, files: readonly GeneratedFile[]): { written: string[]; unchanged: string[]; removed: string[] } {
  const wanted = new Set(files.map((f) => f.path));
  const removed = listFiles(dir).filter((rel) => !wanted.has(rel) && isGeneratedFile(path.join(dir, rel)));
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const f of files) {
    let old: string | null = null;
    try {
      old = readFileSync(path.join(dir, ...f.path.split('/')), 'utf8');
    } catch {
      old = null;
    }
    (old === f.content ? unchanged : written).push(f.path);
  }
  if (written.length === 0 && removed.length === 0) return { written, unchanged, removed };
  // The new folder is built beside the old one (its other files copied over) and swapped in, so a kill never
  // leaves a header for the new model next to the old one's weights (src/files/atomic-write.ts).
  replaceFolderSync(dir, (staging) => {
    if (existsSync(dir)) cpSync(dir, staging, { recursive: true });
    for (const rel of removed) rmSync(path.join(staging, rel));
    for (const f of files) {
      const target = path.join(staging, ...f.path.split('/'));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    }
  });
  return { written, unchanged, removed };
}
