import { readdirSync, readFileSync } from 'node:fs';
import { ffmpegInfo, type FfmpegInfo } from './ffmpeg.js';
import type { Frame } from './frame.js';
import { naturalCompare } from './natural-compare.js';
import { runToCompletion } from './process-output.js';
import { readRawFrames, type DeliveryMode, type SpawnFunction } from './raw-frames.js';

export interface CameraDevice {
  /** What to pass as `device`: /dev/videoN (Linux), an index (macOS), a device name (Windows). */
  readonly id: string;
  readonly name: string;
}

/** Video devices from `ffmpeg -f avfoundation -list_devices true -i ""` (macOS), audio devices excluded. */
export function parseAvfoundationDevices(stderr: string): CameraDevice[] {
  const devices: CameraDevice[] = [];
  let inVideo = false;
  for (const line of stderr.split(/\r?\n/)) {
    if (/AVFoundation video devices/i.test(line)) { inVideo = true; continue; }
    if (/AVFoundation audio devices/i.test(line)) { inVideo = false; continue; }
    const m = inVideo ? line.match(/\]\s*\[(\d+)\]\s*(.+?)\s*$/) : null;
    if (m) devices.push({ id: m[1], name: m[2] });
  }
  return devices;
}

/**
 * Video devices from `ffmpeg -list_devices true -f dshow -i dummy` (Windows). Newer ffmpeg tags each line
 * `"name" (video)`; older versions list names under a "DirectShow video devices" header.
 */
export function parseDshowDevices(stderr: string): CameraDevice[] {
  const devices: CameraDevice[] = [];
  let section: 'video' | 'audio' | null = null;
  for (const line of stderr.split(/\r?\n/)) {
    if (/DirectShow video devices/i.test(line)) { section = 'video'; continue; }
    if (/DirectShow audio devices/i.test(line)) { section = 'audio'; continue; }
    if (/Alternative name/i.test(line)) continue;
    const m = line.match(/\]\s*"(.+)"\s*(?:\((video|audio|none)(?:,\s*(video|audio))?\))?\s*$/);
    if (!m) continue;
    const tagged = m[2] !== undefined;
    const isVideo = tagged ? m[2] === 'video' || m[3] === 'video' : section === 'video';
    if (isVideo) devices.push({ id: m[1], name: m[1] });
  }
  return devices;
}

function listLinuxCameras(): CameraDevice[] {
  let entries: string[];
  try {
    entries = readdirSync('/dev').filter((e) => /^video\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.sort(naturalCompare).map((e) => {
    let name = e;
    try {
      name = readFileSync(`/sys/class/video4linux/${e}/name`, 'utf8').trim() || e;
    } catch {
      // /sys may be absent in containers; the node name still works as an id.
    }
    return { id: `/dev/${e}`, name };
  });
}

/** Cameras ffmpeg can open here: /dev/video* on Linux, ffmpeg's device list on macOS and Windows. */
export async function listCameras(platform: NodeJS.Platform = process.platform, ffmpeg?: FfmpegInfo): Promise<CameraDevice[]> {
  if (platform === 'linux') return listLinuxCameras();
  // An unsupported platform is said before looking for ffmpeg, which it would not use anyway.
  if (platform !== 'darwin' && platform !== 'win32') throw new Error(`listCameras: no camera support for platform '${platform}' (supported: linux, darwin, win32)`);
  const tools = ffmpeg ?? (await ffmpegInfo());
  if (platform === 'darwin') {
    const out = await runToCompletion(tools.path, ['-hide_banner', '-f', 'avfoundation', '-list_devices', 'true', '-i', '']);
    return parseAvfoundationDevices(out.stderr);
  }
  const out = await runToCompletion(tools.path, ['-hide_banner', '-list_devices', 'true', '-f', 'dshow', '-i', 'dummy']);
  return parseDshowDevices(out.stderr);
}

export interface CameraOptions {
  /** Linux: /dev/videoN (default /dev/video0); macOS: index or name (default 0); Windows: name (default: the first listed). */
  readonly device?: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** 'latest' (default) drops frames the consumer had no time for, keeping latency at one frame. */
  readonly mode?: DeliveryMode;
  readonly platform?: NodeJS.Platform;
  readonly signal?: AbortSignal;
  readonly ffmpeg?: FfmpegInfo;
  readonly spawn?: SpawnFunction;
}

/** ffmpeg input arguments that open a camera on each platform. */
export function cameraInputArgs(platform: NodeJS.Platform, device: string, width: number, height: number, fps: number): string[] {
  const common = ['-framerate', String(fps), '-video_size', `${width}x${height}`];
  switch (platform) {
    case 'linux': return ['-f', 'v4l2', ...common, '-i', device];
    case 'darwin': return ['-f', 'avfoundation', ...common, '-i', `${device}:none`];
    case 'win32': return ['-f', 'dshow', ...common, '-i', `video=${device}`];
    default: throw new Error(`camera: no ffmpeg capture input for platform '${platform}' (supported: linux, darwin, win32)`);
  }
}

async function defaultDevice(platform: NodeJS.Platform, ffmpeg: FfmpegInfo): Promise<string> {
  if (platform === 'linux') return '/dev/video0';
  if (platform === 'darwin') return '0';
  const first = (await listCameras(platform, ffmpeg))[0];
  if (!first) throw new Error('camera: ffmpeg lists no DirectShow video device; connect a camera or pass device explicitly');
  return first.id;
}

/** Live frames from a camera through ffmpeg, scaled to width×height whatever mode the camera picked. */
export async function* cameraFrames(options: CameraOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const platform = options.platform ?? process.platform;
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const fps = options.fps ?? 30;
  for (const [k, v] of Object.entries({ width, height, fps })) {
    if (!Number.isInteger(v) || v <= 0 || v > 8192) throw new TypeError(`camera: ${k} must be a positive integer, got ${v}`);
  }
  const ffmpeg = options.ffmpeg ?? (await ffmpegInfo());
  const device = options.device ?? (await defaultDevice(platform, ffmpeg));
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...cameraInputArgs(platform, device, width, height, fps),
    '-map', '0:v:0', '-vf', `scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1',
  ];
  const start = performance.now();
  yield* readRawFrames({
    ffmpegPath: ffmpeg.path, args, pixelFormat: 'rgb24', width, height, source: `camera:${device}`,
    timestampMs: () => performance.now() - start, mode: options.mode ?? 'latest', signal: options.signal, spawn: options.spawn,
  });
}
