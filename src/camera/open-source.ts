import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { cameraFrames } from './camera-source.js';
import type { FfmpegInfo } from './ffmpeg.js';
import type { Frame } from './frame.js';
import { IMAGE_EXTENSIONS, imageFrames, isGlobPattern } from './image-source.js';
import { mnistFrames } from './mnist-source.js';
import type { CameraLikeOptions } from './synthesize.js';
import { videoFrames } from './video-source.js';

export interface OpenSourceOptions {
  readonly signal?: AbortSignal;
  /** Camera capture size, or the size a video is scaled to. */
  readonly size?: { readonly width: number; readonly height: number };
  readonly fps?: number;
  /** Videos: play at their own pace instead of as fast as they decode. */
  readonly realtime?: boolean;
  /** mnist:* sources: seed, first digit and number of frames, rendering options. */
  readonly seed?: number;
  readonly start?: number;
  readonly count?: number;
  readonly synthesis?: Partial<CameraLikeOptions>;
  /** mnist:* sources: frames each digit is held for, moving a little (default 1). */
  readonly hold?: number;
  readonly ffmpeg?: FfmpegInfo;
  /** Image sources: report an undecodable file here and go on (see ImageSourceOptions.onUnreadable). */
  readonly onUnreadable?: (file: string, index: number, message: string) => void;
}

export type SourceKind = 'mnist' | 'camera' | 'images' | 'video';

export const SOURCE_SPEC_HELP =
  "mnist:test | mnist:train (camera-like renderings with labels), camera or camera:<device>, a folder or glob of images (e.g. 'shots/*.jpg'), an image file, or a video file";

/** Which kind of source a spec names, judged from its form and the file system. */
export function sourceKind(spec: string): SourceKind {
  if (spec === 'mnist:test' || spec === 'mnist:train') return 'mnist';
  if (spec === 'camera' || spec.startsWith('camera:')) return 'camera';
  if (isGlobPattern(spec)) return 'images';
  if (!existsSync(spec)) throw new Error(`source '${spec}': no such file or folder; expected ${SOURCE_SPEC_HELP}`);
  if (statSync(spec).isDirectory()) return 'images';
  return IMAGE_EXTENSIONS.includes(path.extname(spec).toLowerCase()) ? 'images' : 'video';
}

/** One entry point for every frame source (the CLI passes its --source string here). */
export function openFrameSource(spec: string, options: OpenSourceOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const { signal } = options;
  switch (sourceKind(spec)) {
    case 'mnist':
      return mnistFrames({
        split: spec === 'mnist:train' ? 'train' : 'test',
        seed: options.seed, start: options.start, count: options.count, synthesis: options.synthesis, hold: options.hold, signal,
      });
    case 'camera':
      return cameraFrames({
        device: spec.startsWith('camera:') ? spec.slice('camera:'.length) : undefined,
        width: options.size?.width, height: options.size?.height, fps: options.fps, signal, ffmpeg: options.ffmpeg,
      });
    case 'images':
      return imageFrames(spec, { signal, onUnreadable: options.onUnreadable });
    case 'video':
      return videoFrames(spec, { size: options.size, fps: options.fps, realtime: options.realtime, signal, ffmpeg: options.ffmpeg });
  }
}
