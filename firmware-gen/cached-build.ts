import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIRMWARE_GEN_DIR } from './engine-files.js';
import { writeGeneratedFiles, type GeneratedFile } from './generate.js';

/** What to tell a user whose machine lacks a tool: the Debian packages that provide it. */
const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  gcc: 'gcc',
  'arm-none-eabi-gcc': 'gcc-arm-none-eabi libnewlib-arm-none-eabi',
  'arm-none-eabi-size': 'binutils-arm-none-eabi',
  'arm-none-eabi-nm': 'binutils-arm-none-eabi',
};

/**
 * Runs a build tool and returns its stdout. A failure names the command, and either the package that would
 * install a missing tool or the first 40 lines of what the tool said.
 */
export function runTool(tool: string, args: readonly string[], what: string, cwd?: string): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...(cwd ? { cwd } : {}) });
  if (r.error || r.status !== 0) {
    const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const packages = DEBIAN_PACKAGES[path.basename(tool)];
    const detail = missing
      ? `${tool} is not installed${packages ? ` (Debian: apt-get install ${packages})` : ''}`
      : (r.error?.message ?? (r.stderr || `exit ${r.status ?? r.signal}`).split('\n').slice(0, 40).join('\n'));
    throw new Error(`${what} failed: ${tool} ${args.join(' ')}\n${detail}`);
  }
  return r.stdout;
}

export interface CachedBuild {
  /** The compiler; the first line of its --version goes into the cache key. */
  readonly compiler: string;
  /** Compiler arguments, run in a folder holding `files`; `output` is the file they produce there. */
  readonly args: readonly string[];
  readonly files: readonly GeneratedFile[];
  readonly output: string;
  /** Folder of this kind of build under node_modules/.cache/edge-digits (or the system temp folder). */
  readonly cacheName: string;
  /** Overrides the cache folder (tests keep their builds apart). */
  readonly cacheDir?: string | undefined;
  /** What is being built, for error messages. */
  readonly what: string;
}

export interface CachedBuildResult {
  /** Absolute path of the built output. */
  readonly path: string;
  /** Hash of compiler, arguments and sources: the cache key. */
  readonly key: string;
}

function defaultCacheDir(name: string): string {
  const inRepo = path.join(FIRMWARE_GEN_DIR, '..', 'node_modules', '.cache', 'edge-digits', name);
  try {
    mkdirSync(inRepo, { recursive: true });
    return inRepo;
  } catch {
    return path.join(os.tmpdir(), `edge-digits-${name}`);
  }
}

/**
 * Compiles `files` once per distinct input. The key hashes the compiler's identity, the arguments and every
 * source byte, so a changed model, flag or HAL never reuses a stale binary; the build happens in a private
 * folder published by an atomic rename, so parallel runs never see a half-written one.
 */
export function cachedBuild(b: CachedBuild): CachedBuildResult {
  const identity = runTool(b.compiler, ['--version'], `asking ${b.compiler} its version`).split('\n', 1)[0];
  const hash = createHash('sha256').update(identity).update('\0').update(b.args.join(' '));
  for (const f of b.files) hash.update('\0').update(f.path).update('\0').update(f.content);
  const key = hash.digest('hex').slice(0, 24);
  const cacheDir = b.cacheDir ?? defaultCacheDir(b.cacheName);
  const finalDir = path.join(cacheDir, key);
  const output = path.join(finalDir, b.output);
  if (existsSync(output)) return { path: output, key };

  mkdirSync(cacheDir, { recursive: true });
  const work = path.join(cacheDir, `${key}.tmp-${process.pid}-${Date.now()}`);
  rmSync(work, { recursive: true, force: true });
  try {
    writeGeneratedFiles(work, b.files);
    runTool(b.compiler, b.args, b.what, work);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  try {
    renameSync(work, finalDir);
  } catch {
    // Another process published the same build first; theirs is identical.
    rmSync(work, { recursive: true, force: true });
  }
  return { path: output, key };
}
