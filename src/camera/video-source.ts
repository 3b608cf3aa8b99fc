import { statSync } from 'node:fs';
import { ffmpegInfo, type FfmpegInfo } from './ffmpeg.js';
import type { Frame } from './frame.js';
import { runToCompletion } from './process-output.js';
import { readRawFrames, type SpawnFunction } from './raw-frames.js';

export interface VideoProbe {
  readonly width: number;
  readonly height: number;
  /** Average frame rate; null when the container does not say. */
  readonly fps: number | null;
}

function parseRate(rate: unknown): number | null {
  if (typeof rate !== 'string') return null;
  const [num, den] = rate.split('/').map(Number);
  const value = den === undefined ? num : num / den;
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** Frames come out of ffmpeg auto-rotated, so a ±90° rotation tag swaps the stored width and height. */
function rotated(width: number, height: number, degrees: number): { width: number; height: number } {
  return Math.abs(Math.round(degrees / 90)) % 2 === 1 ? { width: height, height: width } : { width, height };
}

/** Reads ffprobe's `-of json` stream description. */
export function parseFfprobeJson(text: string, file: string): VideoProbe {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file}: ffprobe output is not JSON: ${text.slice(0, 200)}`);
  }
  const streams = (parsed as { streams?: unknown }).streams;
  const stream = Array.isArray(streams) ? (streams[0] as Record<string, unknown> | undefined) : undefined;
  if (!stream || typeof stream.width !== 'number' || typeof stream.height !== 'number') {
    throw new Error(`${file}: ffprobe found no video stream with a width and height`);
  }
  const tags = stream.tags as Record<string, unknown> | undefined;
  const sideData = Array.isArray(stream.side_data_list) ? (stream.side_data_list as Record<string, unknown>[]) : [];
  const rotation = Number(tags?.rotate ?? sideData.find((d) => d.rotation !== undefined)?.rotation ?? 0) || 0;
  return { ...rotated(stream.width, stream.height, rotation), fps: parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate) };
}

/** Reads the stream line ffmpeg prints for `ffmpeg -i file` (used when ffprobe is absent). */
export function parseFfmpegBanner(text: string, file: string): VideoProbe {
  const line = text.split('\n').find((l) => /Stream #\d+:\d+.*: Video:/.test(l));
  const size = line?.match(/, (\d{1,5})x(\d{1,5})[\s,]/);
  if (!line || !size) throw new Error(`${file}: ffmpeg reports no video stream: ${text.trim().split('\n').slice(-3).join(' | ')}`);
  const fps = line.match(/, (\d+(?:\.\d+)?) fps/);
  const rotation = text.match(/rotation of (-?\d+(?:\.\d+)?) degrees/) ?? text.match(/rotate\s*:\s*(-?\d+)/);
  return { ...rotated(Number(size[1]), Number(size[2]), rotation ? Number(rotation[1]) : 0), fps: fps ? Number(fps[1]) : null };
}

function checkReadableFile(file: string): void {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch (e) {
    throw new Error(`video ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!isFile) throw new Error(`video ${file}: not a regular file`);
}

/** Size and frame rate of the first video stream, via ffprobe or, without it, ffmpeg's banner. */
export async function probeVideo(file: string, ffmpeg?: FfmpegInfo): Promise<VideoProbe> {
  checkReadableFile(file);
  const tools = ffmpeg ?? (await ffmpegInfo());
  if (tools.ffprobe) {
    const out = await runToCompletion(tools.ffprobe, [
      '-v', 'error', '-select_streams', 'v:0',
      '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate:stream_tags=rotate:stream_side_data=rotation',
      '-of', 'json', file,
    ]);
    if (out.code !== 0) throw new Error(`${file}: ffprobe failed: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return parseFfprobeJson(out.stdout, file);
  }
  const out = await runToCompletion(tools.path, ['-hide_banner', '-i', file]);
  return parseFfmpegBanner(out.stderr, file);
}

export interface VideoSourceOptions {
  /** Output size (ffmpeg scales with area averaging); default: the video's own size. */
  readonly size?: { readonly width: number; readonly height: number };
  /** Resample to this frame rate (ffmpeg's fps filter); default: every frame of the file. */
  readonly fps?: number;
  /** Read at the video's own pace (`-re`), to stand in for a live camera. */
  readonly realtime?: boolean;
  readonly signal?: AbortSignal;
  readonly ffmpeg?: FfmpegInfo;
  readonly spawn?: SpawnFunction;
}

function checkSize(size: { width: number; height: number }, what: string): void {
  for (const [k, v] of Object.entries(size)) {
    if (!Number.isInteger(v) || v <= 0 || v > 16384) throw new TypeError(`${what}: ${k} must be an integer in 1..16384, got ${v}`);
  }
}

/**
 * Decodes a video file to colour frames (with their luma) through an ffmpeg pipe (`-f rawvideo -pix_fmt rgb24`), one frame in memory
 * at a time. Timestamps are nominal: index / fps. Breaking out of the loop or aborting kills ffmpeg.
 */
export async function* videoFrames(file: string, options: VideoSourceOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const ffmpeg = options.ffmpeg ?? (await ffmpegInfo());
  const probe = await probeVideo(file, ffmpeg);
  const size = options.size ?? { width: probe.width, height: probe.height };
  checkSize(size, `video ${file} size`);
  if (options.fps !== undefined && !(options.fps > 0 && options.fps <= 1000)) throw new TypeError(`video ${file}: fps must be in (0, 1000], got ${options.fps}`);
  const fps = options.fps ?? probe.fps ?? 30;
  const filters = [...(options.fps ? [`fps=${options.fps}`] : []), `scale=${size.width}:${size.height}:flags=area`];
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...(options.realtime ? ['-re'] : []),
    '-i', file, '-map', '0:v:0', '-vf', filters.join(','), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1',
  ];
  yield* readRawFrames({
    ffmpegPath: ffmpeg.path, args, pixelFormat: 'rgb24', width: size.width, height: size.height, source: file,
    timestampMs: (index) => (index * 1000) / fps, mode: 'every', signal: options.signal, spawn: options.spawn,
  });
}
