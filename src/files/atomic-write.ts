/**
 * Outputs are replaced, never edited in place: a file is written to a temporary sibling and renamed over the
 * target (rename is atomic on one file system), and a folder is built as a temporary sibling and swapped in.
 * A command killed at any point leaves the previous output as it was, or the new one complete.
 *
 * Folder swap: POSIX has no atomic exchange of two folders, so the old folder is renamed aside and the new one
 * renamed into place, two renames microseconds apart. A kill between them leaves the old folder complete under
 * `.<name>.old-<pid>-…`; the next replaceFolder() on that target puts it back before anything else
 * (restoreInterruptedSwap). Temporary siblings of killed runs (`.<name>.tmp-<pid>-…`) are removed then too.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Writes `data` to `file` through `<file>.tmp-<pid>` + rename: readers see the old file or the new one, whole. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function siblings(target: string, kind: 'tmp' | 'old'): { name: string; pid: number }[] {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.${kind}-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).map((n) => ({ name: path.join(dir, n), pid: Number(n.slice(prefix.length).split('-')[0]) }));
}

/**
 * Undoes what a kill between the two renames of a folder swap left: the target missing and its old copy aside.
 * Also removes the temporary siblings of runs that no longer exist. Returns true when it restored a folder.
 */
export function restoreInterruptedSwap(target: string): boolean {
  let restored = false;
  for (const s of siblings(target, 'old')) {
    if (processAlive(s.pid)) continue;
    if (!existsSync(target) && !restored) {
      renameSync(s.name, target);
      restored = true;
    } else rmSync(s.name, { recursive: true, force: true });
  }
  for (const s of siblings(target, 'tmp')) if (!processAlive(s.pid)) rmSync(s.name, { recursive: true, force: true });
  return restored;
}

function beginSwap(target: string): { parent: string; staging: string } {
  const parent = path.dirname(path.resolve(target));
  mkdirSync(parent, { recursive: true });
  restoreInterruptedSwap(target);
  return { parent, staging: mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-`)) };
}

function finishSwap(target: string, parent: string, staging: string): void {
  if (!existsSync(target)) {
    renameSync(staging, target);
    return;
  }
  const aside = path.join(parent, `.${path.basename(target)}.old-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  renameSync(target, aside);
  renameSync(staging, target);
  rmSync(aside, { recursive: true, force: true });
}

/**
 * Builds a new `target` folder with `fill(staging)` in a temporary sibling, then swaps it in. If `fill` throws,
 * the staging folder is removed and `target` is untouched.
 */
export async function replaceFolder<T>(target: string, fill: (staging: string) => Promise<T> | T): Promise<T> {
  const { parent, staging } = beginSwap(target);
  let result: T;
  try {
    result = await fill(staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  finishSwap(target, parent, staging);
  return result;
}

/** replaceFolder for a synchronous fill. */
export function replaceFolderSync<T>(target: string, fill: (staging: string) => T): T {
  const { parent, staging } = beginSwap(target);
  let result: T;
  try {
    result = fill(staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  finishSwap(target, parent, staging);
  return result;
}
