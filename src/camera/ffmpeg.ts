import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export type FfmpegOrigin = 'system' | '@ffmpeg-installer/ffmpeg';

export interface FfmpegInfo {
  /** Absolute path of the ffmpeg executable that will run. */
  readonly path: string;
  readonly origin: FfmpegOrigin;
  /** ffprobe next to it or on PATH; null when absent (sizes are then read from ffmpeg's own banner). */
  readonly ffprobe: string | null;
}

export class FfmpegNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `ffmpeg not found (${detail}). Install it: Debian/Ubuntu 'sudo apt-get install ffmpeg', macOS 'brew install ffmpeg', ` +
        `Windows 'winget install ffmpeg' (then reopen the terminal so it is on PATH); ` +
        `or 'npm install @ffmpeg-installer/ffmpeg' for a bundled binary.`,
    );
    this.name = 'FfmpegNotFoundError';
  }
}

export interface FfmpegLookup {
  /** PATH-style list of directories; defaults to process.env.PATH. */
  readonly searchPath?: string;
  readonly platform?: NodeJS.Platform;
  /** Loads the optional npm package; injectable so its absence can be tested. */
  readonly loadInstaller?: () => Promise<unknown>;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First `name` (with Windows executable extensions) found in the PATH directories. */
export function findOnPath(name: string, searchPath: string, platform: NodeJS.Platform): string | null {
  const separator = platform === 'win32' ? ';' : ':';
  const extensions = platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of searchPath.split(separator)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = path.join(dir.replace(/^"(.*)"$/, '$1'), name + ext);
      if (isExecutableFile(candidate)) return path.resolve(candidate);
    }
  }
  return null;
}

function installerPath(mod: unknown): string | null {
  const record = (m: unknown): Record<string, unknown> | null => (typeof m === 'object' && m !== null ? (m as Record<string, unknown>) : null);
  const top = record(mod);
  const candidate = top?.path ?? record(top?.default)?.path;
  return typeof candidate === 'string' ? candidate : null;
}

async function defaultLoadInstaller(): Promise<unknown> {
  // Optional: never a dependency of this package; present only if the user installed it.
  return import('@ffmpeg-installer/ffmpeg' as string);
}

/** Resolves ffmpeg: system PATH first, then the optional `@ffmpeg-installer/ffmpeg` package, else FfmpegNotFoundError. */
export async function resolveFfmpeg(lookup: FfmpegLookup = {}): Promise<FfmpegInfo> {
  const platform = lookup.platform ?? process.platform;
  const searchPath = lookup.searchPath ?? process.env.PATH ?? '';
  const system = findOnPath('ffmpeg', searchPath, platform);
  if (system) {
    const sibling = findOnPath('ffprobe', path.dirname(system), platform);
    return { path: system, origin: 'system', ffprobe: sibling ?? findOnPath('ffprobe', searchPath, platform) };
  }
  let failure: string;
  try {
    const bundled = installerPath(await (lookup.loadInstaller ?? defaultLoadInstaller)());
    if (bundled && isExecutableFile(bundled)) return { path: bundled, origin: '@ffmpeg-installer/ffmpeg', ffprobe: findOnPath('ffprobe', searchPath, platform) };
    failure = bundled ? `@ffmpeg-installer/ffmpeg points to ${bundled}, which is not an executable file` : '@ffmpeg-installer/ffmpeg exports no path';
  } catch {
    failure = 'not on PATH, and the optional package @ffmpeg-installer/ffmpeg is not installed';
  }
  throw new FfmpegNotFoundError(failure);
}

let cached: Promise<FfmpegInfo> | null = null;

/** The ffmpeg this process uses (resolved once, on first use). */
export function ffmpegInfo(): Promise<FfmpegInfo> {
  if (!cached) {
    cached = resolveFfmpeg();
    // A failed lookup is not cached: the user may install ffmpeg and retry without restarting.
    cached.catch(() => { cached = null; });
  }
  return cached;
}
