/**
 * The one rule for tests that need a system tool (gcc, arm-none-eabi-gcc, qemu-system-arm, ffmpeg, socat,
 * chromium): a missing tool skips the tests loudly on a workstation, and under CI=true the tests run anyway and
 * fail, so a broken CI image is never mistaken for a pass. `.ci/run` proves the skipping half by running the suite
 * once with these tools hidden from PATH and CI unset (a newcomer's machine), then the full run under CI=true.
 *
 * Tools are looked up on PATH only (no absolute paths), so hiding them from PATH hides them from the tests.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export const CI = process.env.CI === 'true';

/** The Debian package that provides each tool, for the skip message. */
const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  gcc: 'gcc', 'arm-none-eabi-gcc': 'gcc-arm-none-eabi libnewlib-arm-none-eabi', 'arm-none-eabi-g++': 'g++-arm-none-eabi libstdc++-arm-none-eabi-newlib',
  'qemu-system-arm': 'qemu-system-arm', ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg', socat: 'socat', chromium: 'chromium',
};

/** The executable's full path when `tool` is on PATH, else null. */
export function findOnPath(tool: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function hasTool(tool: string): boolean {
  return findOnPath(tool) !== null;
}

/** The tools of `tools` that are not on PATH. */
export function missingTools(tools: readonly string[]): string[] {
  return tools.filter((t) => !hasTool(t));
}

/**
 * True when `suite`'s tests should run: every tool is there, or CI=true (where they must be). Otherwise prints one
 * loud warning naming the missing tools and their Debian packages, and returns false (skip).
 * `extraMissing` names other prerequisites that are absent (a model file, say), reported the same way.
 */
export function toolsPresent(suite: string, tools: readonly string[], extraMissing: readonly string[] = []): boolean {
  const missing = [...missingTools(tools), ...extraMissing];
  if (missing.length === 0) return true;
  if (CI) return true;
  const packages = [...new Set(missingTools(tools).map((t) => DEBIAN_PACKAGE[t] ?? t))];
  console.warn(`\n*** ${suite}: ${missing.join(', ')} missing — SKIPPING${packages.length ? ` (Debian: apt-get install ${packages.join(' ')})` : ''}; under CI=true these tests fail instead ***\n`);
  return false;
}
