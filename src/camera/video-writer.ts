import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ffmpegInfo, type FfmpegInfo } from './ffmpeg.js';
import { checkFrame, type Frame } from './frame.js';
import { FfmpegProcessError } from './raw-frames.js';

interface Encoding {
  readonly name: string;
  readonly args: readonly string[];
  /** 4:2:0 chroma subsampling needs even sizes. */
  readonly evenSize: boolean;
}

const ENCODINGS: Readonly<Record<string, Encoding>> = {
  '.mp4': { name: 'H.264', args: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'], evenSize: true },
  '.mov': { name: 'H.264', args: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p'], evenSize: true },
  '.avi': { name: 'MJPEG', args: ['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p'], evenSize: true },
  '.mjpeg': { name: 'MJPEG', args: ['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p', '-f', 'mjpeg'], evenSize: true },
  '.mkv': { name: 'FFV1 (lossless gray)', args: ['-c:v', 'ffv1', '-pix_fmt', 'gray'], evenSize: false },
};

export const VIDEO_EXTENSIONS: readonly string[] = Object.keys(ENCODINGS);

export interface VideoWriteOptions {
  readonly fps: number;
  readonly ffmpeg?: FfmpegInfo;
}

export interface VideoWriteResult {
  readonly file: string;
  readonly frames: number;
  readonly codec: string;
}

/**
 * Encodes gray frames (all the same size) into a clip; the container and codec follow the extension:
 * .mp4/.mov H.264, .avi/.mjpeg MJPEG, .mkv lossless FFV1.
 */
export async function writeGrayVideo(frames: AsyncIterable<Frame> | Iterable<Frame>, file: string, options: VideoWriteOptions): Promise<VideoWriteResult> {
  const encoding = ENCODINGS[path.extname(file).toLowerCase()];
  if (!encoding) throw new TypeError(`video ${file}: unsupported extension; use one of ${VIDEO_EXTENSIONS.join(', ')}`);
  if (!(options.fps > 0 && options.fps <= 1000)) throw new TypeError(`video ${file}: fps must be in (0, 1000], got ${options.fps}`);
  const ffmpeg = options.ffmpeg ?? (await ffmpegInfo());
  let child: ReturnType<typeof spawn> | null = null;
  let exited: Promise<number | null> = Promise.resolve(null);
  let stderrTail = '';
  let size: { width: number; height: number } | null = null;
  let count = 0;
  try {
    for await (const frame of frames) {
      checkFrame(frame);
      if (!size) {
        size = { width: frame.width, height: frame.height };
        if (encoding.evenSize && (size.width % 2 !== 0 || size.height % 2 !== 0)) {
          throw new TypeError(`video ${file}: ${encoding.name} needs even width and height, got ${size.width}×${size.height}; use .mkv`);
        }
        const args = [
          '-hide_banner', '-loglevel', 'error', '-y',
          '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${size.width}x${size.height}`, '-r', String(options.fps), '-i', 'pipe:0',
          ...encoding.args, file,
        ];
        const started = spawn(ffmpeg.path, args, { stdio: ['pipe', 'ignore', 'pipe'], windowsHide: true });
        child = started;
        started.stderr.on('data', (c: Buffer) => { stderrTail = (stderrTail + c.toString('utf8')).slice(-4000); });
        exited = new Promise((resolve) => {
          started.on('error', (e) => { stderrTail += `\n${e.message}`; resolve(null); });
          started.once('close', (code) => resolve(code));
        });
        // A dead encoder surfaces through the exit code below, not as an unhandled EPIPE.
        started.stdin.on('error', () => undefined);
      } else if (frame.width !== size.width || frame.height !== size.height) {
        throw new TypeError(`video ${file}: frame ${count} is ${frame.width}×${frame.height}, the first frame was ${size.width}×${size.height}`);
      }
      const stdin = child?.stdin;
      if (!stdin || stdin.destroyed) break;
      if (!stdin.write(frame.gray)) await Promise.race([once(stdin, 'drain'), exited]);
      count++;
    }
    if (!child) throw new TypeError(`video ${file}: no frames to write`);
    child.stdin?.end();
    const code = await exited;
    if (code !== 0) throw new FfmpegProcessError(`video ${file}: ffmpeg exited with code ${code}: ${stderrTail.trim().split('\n').slice(-4).join(' | ')}`, code, stderrTail);
    return { file, frames: count, codec: encoding.name };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin?.destroy();
      child.kill('SIGKILL');
      await exited;
    }
  }
}
