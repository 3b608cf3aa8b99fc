import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedBuild } from '../../cached-build.js';
import { PROTOCOL_DIR, PROTOCOL_FILES } from '../../protocol/files.js';
import type { GeneratedFile, GeneratedFirmware } from '../../generate.js';
import { STRICT_C_FLAGS } from '../../host-engine.js';

/**
 * The virtual board: the generated engine + model and the protocol core behind a posix HAL (a pseudo-terminal
 * for the serial line, CLOCK_MONOTONIC for micros, a logged pin table), compiled for this machine with gcc.
 */
export const POSIX_DIR = path.dirname(fileURLToPath(import.meta.url));
export const VIRTUAL_BOARD_EXE = 'edge-digits-virtual-board';
/** The firmware name the virtual board reports (REPORT_FIRMWARE); compiled into main.c as ED_POSIX_FIRMWARE_NAME. */
export const VIRTUAL_BOARD_FIRMWARE_NAME = 'EdgeDigits-virtual-posix';

const HAL_FILES = ['posix_pty.h', 'posix_pty.c', 'main.c'] as const;
/** ptys, symlinks, clock_gettime and sigaction are POSIX, not C99. */
const POSIX_FLAGS = ['-D_XOPEN_SOURCE=700'] as const;

export interface VirtualBoardBuildOptions {
  readonly compiler?: string;
  readonly optimization?: '-O0' | '-O1' | '-O2' | '-O3' | '-Os';
  /** Where built boards are kept, one folder per hash of everything that goes into the build. */
  readonly cacheDir?: string;
}

export interface VirtualBoardImage {
  readonly exe: string;
  /** Hash of compiler, flags and sources: the cache key. */
  readonly key: string;
}

const fileFrom = (dir: string, name: string): GeneratedFile => ({ path: name, content: readFileSync(path.join(dir, name), 'utf8') });

/** Every source of the virtual board: generated engine + model, protocol core, posix HAL and main. */
export function virtualBoardFiles(fw: GeneratedFirmware): GeneratedFile[] {
  if (fw.target !== 'host') throw new TypeError(`virtualBoardFiles: expects the generator's 'host' file set (engine + model), got target '${fw.target}'`);
  return [
    ...fw.files,
    ...PROTOCOL_FILES.map((n) => fileFrom(PROTOCOL_DIR, n)),
    ...HAL_FILES.map((n) => fileFrom(POSIX_DIR, n)),
  ];
}

export function virtualBoardFlags(o: VirtualBoardBuildOptions = {}): string[] {
  return [...STRICT_C_FLAGS, ...POSIX_FLAGS, `-DED_POSIX_FIRMWARE_NAME="${VIRTUAL_BOARD_FIRMWARE_NAME}"`, o.optimization ?? '-O2'];
}

/** Compiles the virtual board for one generated model, once per distinct compiler, flags and sources (cachedBuild). */
export function buildVirtualBoard(fw: GeneratedFirmware, o: VirtualBoardBuildOptions = {}): VirtualBoardImage {
  const files = virtualBoardFiles(fw);
  const sources = files.filter((f) => f.path.endsWith('.c')).map((f) => f.path);
  const built = cachedBuild({
    compiler: o.compiler ?? 'gcc', args: [...virtualBoardFlags(o), '-I', '.', ...sources, '-o', VIRTUAL_BOARD_EXE],
    files, output: VIRTUAL_BOARD_EXE, cacheName: 'posix', cacheDir: o.cacheDir,
    what: `building the virtual board (${VIRTUAL_BOARD_EXE})`,
  });
  return { exe: built.path, key: built.key };
}
