import { spawn } from 'node:child_process';
import { choiceOption, CliError, intOption, numberOption, type Command } from '../command.js';
import { writeJsonLine } from '../json-output.js';
import { untilStopped } from '../until-stopped.js';

const DEFAULT_MODEL = 'models/default/model.int8.json';
const DEFAULT_LISTEN = '127.0.0.1:8080';

/** 'host:port', '[v6]:port' or a bare port (loopback). */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))?:?(\d+)$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--listen expects host:port (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080) or a port; got '${s}'`);
  }
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function openInBrowser(url: string, log: (s: string) => void): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', (e) => log(`--open: cannot start ${cmd} (${e.message}); open ${url} yourself`));
  child.unref();
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'a local web page for the camera, a drawing pad or an image file, classified on the board (or simulator)',
  usage: 'serve [--virtual | --port <path> | --qemu | --engine sim] [--model <artifact>] [--listen 127.0.0.1:8080] [--open]',
  options: {
    virtual: { type: 'boolean', help: 'build and start the virtual board (the generated firmware on a pty) — the default' },
    port: { type: 'string', help: 'serial port of a real board running the generated firmware', arg: 'path' },
    qemu: { type: 'boolean', help: 'build the firmware for Cortex-M4 and run it in qemu-system-arm (mps2-an386)' },
    engine: { type: 'string', help: 'sim (TS int8 simulator on the host), board (--port or --virtual) or qemu', arg: 'name' },
    model: { type: 'string', default: DEFAULT_MODEL, help: 'int8 artifact (what the virtual board, QEMU or simulator runs; a real board runs what it was flashed with)', arg: 'file' },
    listen: { type: 'string', default: DEFAULT_LISTEN, help: 'address to serve on; loopback unless you say otherwise (port 0: any free port)', arg: 'host:port' },
    open: { type: 'boolean', help: 'open the page in the default browser' },
    stable: { type: 'string', default: '5', help: 'frames the steady answer votes over', arg: 'K' },
    'min-confidence': { type: 'string', default: '0.6', help: 'confidence floor (0..1) for a frame to vote', arg: 'p' },
    roi: { type: 'string', help: 'region of interest as a fraction in (0, 1] of the centre square (default 1: the whole centre square)', arg: 'fraction' },
    json: { type: 'boolean', help: 'print {"url", "board", ...} as one JSON line once serving, and log nothing else on stdout' },
  },
  examples: [
    'edge-digits serve                       # virtual board; open the printed URL',
    'edge-digits serve --port /dev/ttyACM0 --open',
    'edge-digits serve --engine sim --listen 127.0.0.1:0',
    'edge-digits serve --qemu',
  ],
  async run(v) {
    const log = (s: string): void => { process.stderr.write(`${s}\n`); };
    const given = (['virtual', 'qemu'] as const).filter((k) => v[k] === true).map((k) => `--${k}`);
    if (typeof v.port === 'string') given.push('--port');
    if (typeof v.engine === 'string') {
      const e = choiceOption(v.engine, 'engine', ['sim', 'board', 'qemu'] as const);
      if (e === 'sim') given.push('--engine sim');
      if (e === 'qemu' && !v.qemu) given.push('--qemu');
      if (e === 'board' && given.length === 0) given.push('--virtual');
    }
    const unique = [...new Set(given)];
    if (unique.length > 1) throw new CliError(`choose one board: ${unique.join(' or ')}`);
    const kind = unique[0] ?? '--virtual';
    const { host, port } = parseListen(String(v.listen));
    const stableWindow = intOption(v.stable, 'stable', 1) ?? 5;
    const minConfidence = numberOption(v['min-confidence'], 'min-confidence') ?? 0.6;
    if (minConfidence < 0 || minConfidence > 1) throw new CliError(`--min-confidence must be in [0, 1], got ${minConfidence}`);
    const roiFraction = numberOption(v.roi, 'roi');
    if (roiFraction !== undefined && !(roiFraction > 0 && roiFraction <= 1)) throw new CliError(`--roi must be a fraction in (0, 1], got ${roiFraction}`);
    const model = String(v.model);

    // Loaded only now: `edge-digits --help` must not pay for sharp, ws, esbuild or the board stack.
    const [{ loadArtifact }, serve] = await Promise.all([import('../../quantize/index.js'), import('../../serve/index.js')]);
    let artifact;
    try {
      artifact = loadArtifact(model);
    } catch (e) {
      throw new CliError(`--model ${model}: ${(e as Error).message}`);
    }
    const choice = kind === '--engine sim' ? { kind: 'sim' as const }
      : kind === '--qemu' ? { kind: 'qemu' as const }
      : kind === '--port' ? { kind: 'port' as const, path: String(v.port) }
      : { kind: 'virtual' as const };
    const engine = await serve.openServeEngine(choice, model, log).catch((e: unknown) => {
      throw choice.kind === 'port' ? new CliError((e as Error).message) : e;
    });
    let server;
    try {
      server = await serve.startServer({
        engine, host, port, stableWindow, minConfidence,
        model: { path: model, sourceSha256: artifact.source.sha256 ?? null, outputScale: artifact.output.scale, outputZeroPoint: artifact.output.zeroPoint },
        ...(roiFraction !== undefined ? { preprocessOptions: { roi: { fraction: roiFraction } } } : {}),
        log,
      });
    } catch (e) {
      await engine.close();
      throw e instanceof serve.ListenError ? new CliError(e.message) : e;
    }
    const board = server.boardStatus();
    if (v.json) writeJsonLine({ url: server.url, host: server.host, port: server.port, board: board.name, board_path: board.path, model });
    else process.stdout.write(`edge-digits serve: ${server.url}  (${board.name}${board.path ? ` on ${board.path}` : ''}; Ctrl-C to stop)\n`);
    if (!isLoopback(server.host)) log(`warning: listening on ${server.host}, not loopback: anyone who can reach this machine can use the page and the board; browsers only give the camera to http://localhost or https pages`);
    if (v.open) openInBrowser(server.url.replace('://127.0.0.1:', '://localhost:'), log);

    await untilStopped();
    log('stopping: closing the tabs and the board');
    await server.close();
    await engine.close();
    return 0;
  },
};
