/**
 * `edge-digits serve` from the command line, as a user starts it: `serve --virtual` serves the page and answers
 * a tab, Ctrl-C stops it and the virtual board with it; bad options and a busy port are one-line errors (exit 2).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultMessage } from '../src/serve/index.js';
import { canRun } from './board-support.js';
import { cameraFrame, TabClient } from './serve-support.js';

const BIN = path.resolve('bin', 'edge-digits.js');
const runnable = canRun('serve-cli', ['gcc']);

/** `detached`: a process group of its own, as a shell runs a foreground job, so a test can Ctrl-C the whole group. */
function start(args: readonly string[], detached = false): { child: ChildProcessWithoutNullStreams; out: { stdout: string; stderr: string }; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { detached });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => { out.stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out.stderr += c.toString(); });
  return { child, out, exit: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = start(args);
  const code = await s.exit;
  return { code, ...s.out };
}

describe('serve command', () => {
  it('has --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: edge-digits serve \[--virtual \| --port <path> \| --qemu \| --engine sim\]/);
    expect(r.stdout).toMatch(/--listen <host:port>.*\(default: 127\.0\.0\.1:8080\)/);
  }, 30_000);

  it('refuses bad options with one line and exit code 2', async () => {
    for (const [args, message] of [
      [['--listen', 'here'], /--listen expects host:port/],
      [['--listen', '127.0.0.1:99999'], /--listen expects host:port/],
      [['--port', '/dev/ttyACM9', '--qemu'], /choose one board: --qemu or --port/],
      [['--engine', 'gpu'], /--engine must be one of sim, board, qemu/],
      [['--roi', '1.5', '--engine', 'sim'], /--roi must be a fraction in \(0, 1\]/],
      [['--model', 'nope.int8.json', '--engine', 'sim'], /--model nope\.int8\.json: /],
    ] as const) {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);

  it('says so when the port is taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await run(['--engine', 'sim', '--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use.*--listen 127\\.0\\.0\\.1:0`));
    } finally {
      blocker.close();
    }
  }, 30_000);

  it.runIf(runnable)('serve --virtual serves the page, answers a tab, and stops cleanly on Ctrl-C', async () => {
    const s = start(['--virtual', '--listen', '127.0.0.1:0', '--json'], true);
    try {
      const info = await started(s);
      expect(info.host).toBe('127.0.0.1');
      expect(info.board).toMatch(/virtual board/);
      expect(existsSync(info.board_path)).toBe(true);
      expect(await (await fetch(info.url)).text()).toContain('edge-digits');
      const tab = await TabClient.open(info.url);
      const f = await cameraFrame(3);
      tab.sendGray(1, f);
      const m = (await tab.reply(1)) as ResultMessage;
      expect(m.logits).toEqual(f.expected?.logits);
      // Ctrl-C in a terminal signals the whole foreground group, not just the host.
      process.kill(-(s.child.pid as number), 'SIGINT');
      expect(await s.exit).toBe(0);
      // The virtual board went with it: its link is gone.
      expect(existsSync(info.board_path)).toBe(false);
      expect(s.out.stderr).toMatch(/stopping/);
      // ...and in order: the host stopped the board, rather than finding it dead and reporting a lost port.
      expect(s.out.stderr).not.toMatch(/port closed|reconnecting|lost/);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 90_000);

  it.runIf(runnable)('a SIGKILLed serve leaves no virtual board behind', async () => {
    const s = start(['--virtual', '--listen', '127.0.0.1:0', '--json'], true);
    try {
      const info = await started(s);
      const boards = childPids(s.child.pid as number);
      expect(boards.length, 'the virtual board is a child of serve').toBeGreaterThan(0);
      process.kill(-(s.child.pid as number), 'SIGKILL'); // kills serve's group: the board has a group of its own
      await s.exit;
      const t0 = performance.now();
      while (boards.some(alive) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(boards.filter(alive), 'virtual board still running after its host was killed').toEqual([]);
      expect(existsSync(info.board_path), 'the orphaned board removed its link').toBe(false);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 90_000);
});

interface StartedInfo { url: string; host: string; board: string; board_path: string }

async function started(s: ReturnType<typeof start>): Promise<StartedInfo> {
  const t0 = performance.now();
  while (!s.out.stdout.includes('\n')) {
    if (performance.now() - t0 > 60_000) throw new Error(`serve did not start: ${s.out.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return JSON.parse(s.out.stdout.split('\n')[0]) as StartedInfo;
}

/** The direct children of a process (Linux /proc). */
function childPids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}
