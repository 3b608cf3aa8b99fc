import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceFolder, replaceFolderSync, restoreInterruptedSwap, writeFileAtomic } from '../src/files/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-atomic-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A pid that is certainly not running: above Linux's pid_max. */
const DEAD_PID = 4_194_305;

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file', () => {
    const f = path.join(tmp, 'a', 'x.json');
    writeFileAtomic(f, 'old');
    writeFileAtomic(f, new Uint8Array([110, 101, 119]));
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(path.dirname(f))).toEqual(['x.json']);
  });
});

describe('replaceFolder', () => {
  it('swaps in the new folder and removes the old one', async () => {
    const dir = path.join(tmp, 'model');
    replaceFolderSync(dir, (s) => writeFileSync(path.join(s, 'v'), '1'));
    await replaceFolder(dir, async (s) => { writeFileSync(path.join(s, 'v'), '2'); });
    expect(readFileSync(path.join(dir, 'v'), 'utf8')).toBe('2');
    expect(readdirSync(tmp).filter((n) => n.includes('model'))).toEqual(['model']);
  });

  it('a fill that throws leaves the old folder untouched and no staging folder', async () => {
    const dir = path.join(tmp, 'keep');
    replaceFolderSync(dir, (s) => writeFileSync(path.join(s, 'v'), 'old'));
    await expect(replaceFolder(dir, (s) => { writeFileSync(path.join(s, 'v'), 'half'); throw new Error('boom'); })).rejects.toThrow('boom');
    expect(readFileSync(path.join(dir, 'v'), 'utf8')).toBe('old');
    expect(readdirSync(tmp).filter((n) => n.includes('keep'))).toEqual(['keep']);
  });

  it('a kill between the two renames is undone: the old folder comes back, dead staging folders go', () => {
    const dir = path.join(tmp, 'swap');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'v'), 'old');
    // What a run killed mid-swap leaves: the target renamed aside, the staging folder not yet renamed in.
    renameSync(dir, path.join(tmp, `.swap.old-${DEAD_PID}-abc`));
    mkdirSync(path.join(tmp, `.swap.tmp-${DEAD_PID}-xyz`));
    expect(existsSync(dir)).toBe(false);
    expect(restoreInterruptedSwap(dir)).toBe(true);
    expect(readFileSync(path.join(dir, 'v'), 'utf8')).toBe('old');
    expect(readdirSync(tmp).filter((n) => n.includes('swap'))).toEqual(['swap']);
  });

  it('leaves the staging folders of a live process alone', () => {
    const dir = path.join(tmp, 'live');
    mkdirSync(dir);
    const mine = path.join(tmp, `.live.tmp-${process.pid}-q`);
    mkdirSync(mine);
    expect(restoreInterruptedSwap(dir)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });
});
