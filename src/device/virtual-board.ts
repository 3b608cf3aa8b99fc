/**
 * The virtual board as a child process: builds the posix target (firmware-gen/targets/posix) for an int8
 * artifact, starts it, and reads the pty path it prints. The host then opens that path like a USB board.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFromArtifactFile } from '../../firmware-gen/index.js';
import { buildVirtualBoard, type VirtualBoardBuildOptions } from '../../firmware-gen/targets/posix/build.js';

/** The virtual board did not build, start, or print its port; the message carries its command and output. */
export class VirtualBoardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtualBoardError';
  }
}

export interface VirtualBoardOptions extends VirtualBoardBuildOptions {
  /** int8 artifact (model.int8.json) whose generated engine the board runs. */
  readonly artifact: string;
  /** A stable symlink to the pty, replaced atomically on each (re)start: the path to give the host. */
  readonly link?: string;
  /**
   * Pin log file (JSON lines); 'stderr': the board writes pin events to its stderr, which go to `log` (and
   * pinEvents()); default: a new file in a temporary folder, removed by close().
   */
  readonly pinLog?: string;
  /** How long the process may take to print its port. Default 5000 ms. */
  readonly startTimeoutMs?: number;
  /** The board's own stderr lines (warnings, and pin events with pinLog 'stderr'); default: ignored. */
  readonly log?: (line: string) => void;
}

export interface PinEvent {
  /** Microseconds since that board process started. */
  readonly t_us: number;
  readonly event: 'mode' | 'write';
  readonly pin: number;
  /** For 'mode': the Firmata mode number and its name. */
  readonly mode?: number;
  readonly name?: string;
  /** For 'write': the new output level. */
  readonly value?: number;
}

export interface VirtualBoard {
  /** What the host opens: the --link path if given, else the current pty. */
  readonly path: string;
  /** The pty slave of the running process (changes on restart). */
  readonly ptyPath: string;
  /** The pin log file, or 'stderr'. */
  readonly pinLog: string;
  readonly exe: string;
  readonly pid: number;
  /** Every pin log line so far, parsed, across restarts. */
  pinEvents(): PinEvent[];
  /**
   * Stops the process (SIGTERM, or `signal`) and starts a new one on the same link; resolves with the new pty.
   * `downMs`: how long the board stays away, as an unplugged board would.
   */
  restart(options?: { readonly signal?: NodeJS.Signals; readonly downMs?: number }): Promise<string>;
  /** Stops the process and removes the temporary pin log folder; idempotent. */
  close(): Promise<void>;
}

/** The one line the board prints on stdout once its pty is ready (firmware-gen/targets/posix/main.c). */
export function parsePortLine(output: string): string | null {
  const m = /^port (\/\S+)$/m.exec(output);
  return m ? m[1] : null;
}

export function parsePinLog(text: string): PinEvent[] {
  const events: PinEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let e: PinEvent;
    try {
      e = JSON.parse(line) as PinEvent;
    } catch {
      throw new VirtualBoardError(`pin log line ${i + 1} is not JSON: ${line}`);
    }
    if ((e.event !== 'mode' && e.event !== 'write') || !Number.isInteger(e.pin)) throw new VirtualBoardError(`pin log line ${i + 1} is not a pin event: ${line}`);
    events.push(e);
  });
  return events;
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

interface Running {
  readonly child: ChildProcess;
  readonly ptyPath: string;
}

function launch(exe: string, args: readonly string[], timeoutMs: number, log?: (line: string) => void): Promise<Running> {
  const commandLine = `${exe} ${args.join(' ')}`;
  // A process group of its own: a terminal's Ctrl-C goes to the host's group only, so the host stops the board in
  // order instead of seeing it die first and reporting a lost port. The board exits by itself if the host dies.
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // A board left behind by an aborted run would hold its pty and link; take it down with this process.
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stderr?.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    stderr = (stderr + text).slice(-4000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log?.(line);
  });
  return new Promise<Running>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stopChild(child, 'SIGKILL').then(() => reject(new VirtualBoardError(`${why}\n  command: ${commandLine}\n  stderr: ${stderr.trim() || '(none)'}`)));
    };
    const timer = setTimeout(() => fail(`the virtual board did not print its port within ${timeoutMs} ms`), timeoutMs);
    const onData = (c: Buffer): void => {
      stdout += c.toString('utf8');
      const ptyPath = parsePortLine(stdout);
      if (!ptyPath) return;
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.stdout?.resume();
      resolve({ child, ptyPath });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(new VirtualBoardError(`the virtual board stopped before printing its port (${signal ? `killed by ${signal}` : `exit code ${code}`})\n  command: ${commandLine}\n  stderr: ${stderr.trim() || '(none)'}`));
    };
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new VirtualBoardError(`cannot start ${exe}: ${e.message}`));
    });
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * A killed board cannot remove its link. Left in place it names a pty number the kernel will hand to the next
 * pty opened on this machine, so a reconnecting host could open a stranger's terminal; an unplugged USB board's
 * device node disappears too.
 */
function removeStaleLink(link: string, ptyPath: string): void {
  try {
    if (readlinkSync(link) === ptyPath) unlinkSync(link);
  } catch {
    // Already gone (the board removed it on SIGTERM) or replaced by a newer board.
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Builds (cached) and starts the virtual board for an artifact; resolves once its port exists. */
export async function startVirtualBoard(o: VirtualBoardOptions): Promise<VirtualBoard> {
  const fw = generateFromArtifactFile(o.artifact, 'host');
  const { exe } = buildVirtualBoard(fw, o);
  const tmp = o.pinLog ? null : mkdtempSync(path.join(os.tmpdir(), 'edge-digits-vboard-'));
  const pinLog = o.pinLog ?? path.join(tmp as string, 'pins.jsonl');
  const toStderr = pinLog === 'stderr';
  const args = [...(o.link ? ['--link', o.link] : []), ...(toStderr ? [] : ['--pin-log', pinLog])];
  const timeoutMs = o.startTimeoutMs ?? 5000;
  const stderrPins: PinEvent[] = [];
  const onLine = (line: string): void => {
    if (toStderr && line.startsWith('{"t_us"')) stderrPins.push(...parsePinLog(line));
    o.log?.(line);
  };
  let running: Running | null = await launch(exe, args, timeoutMs, onLine);
  let closed = false;

  return {
    get path() {
      return o.link ?? running?.ptyPath ?? '';
    },
    get ptyPath() {
      return running?.ptyPath ?? '';
    },
    get pid() {
      return running?.child.pid ?? -1;
    },
    pinLog,
    exe,
    pinEvents: () => {
      if (toStderr) return [...stderrPins];
      let text = '';
      try {
        text = readFileSync(pinLog, 'utf8');
      } catch {
        return [];
      }
      return parsePinLog(text);
    },
    async restart(r = {}) {
      if (closed) throw new VirtualBoardError('restart: the virtual board was closed');
      if (running) {
        await stopChild(running.child, r.signal ?? 'SIGTERM');
        if (o.link) removeStaleLink(o.link, running.ptyPath);
      }
      running = null;
      if (r.downMs) await sleep(r.downMs);
      running = await launch(exe, args, timeoutMs, onLine);
      return running.ptyPath;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (running) {
        await stopChild(running.child, 'SIGTERM');
        if (o.link) removeStaleLink(o.link, running.ptyPath);
      }
      running = null;
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}
