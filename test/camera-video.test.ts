import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createRng, imageAt, loadDigitSet } from '../src/data/index.js';
import {
  FfmpegProcessError, frameSeed, preprocess, probeVideo, readRawFrames, resolveFfmpeg, synthesizeCameraFrame,
  videoFrames, writeGrayVideo, type FfmpegInfo, type Frame, type SpawnFunction,
} from '../src/camera/index.js';

const ffmpeg: FfmpegInfo | null = await resolveFfmpeg().catch(() => null);
if (!ffmpeg) {
  const message = 'ffmpeg not found: camera video tests SKIPPED (install it: apt-get install ffmpeg / brew install ffmpeg)';
  if (process.env.CI === 'true') {
    test('ffmpeg is required under CI', () => { throw new Error(message); });
  } else {
    console.warn(`\n⚠⚠⚠ ${message} ⚠⚠⚠\n`);
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), 'edge-digits-video-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function gradientFrames(count: number, width: number, height: number): Frame[] {
  return Array.from({ length: count }, (_, k) => {
    const gray = new Uint8Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = (i % width) * 3 + k * 7;
    return { gray, width, height, timestampMs: k * 40, index: k, source: 'gradient' };
  });
}

/** Wraps spawn so a test can look at the ffmpeg process after the source is done with it. */
function watchedSpawn(): { spawn: SpawnFunction; children: ChildProcess[] } {
  const children: ChildProcess[] = [];
  return { children, spawn: (command, args, options) => { const c = spawn(command, args, options); children.push(c); return c; } };
}

function ended(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

describe.skipIf(!ffmpeg)('video files through ffmpeg', () => {
  const digits = loadDigitSet('mnist:test', 6);
  let cameraLike: Frame[] = [];

  test('a lossless clip (FFV1 .mkv) reads back byte for byte, with nominal timestamps', async () => {
    cameraLike = [];
    for (let i = 0; i < 6; i++) {
      const s = await synthesizeCameraFrame(imageAt(digits, i), createRng(frameSeed(601, i)));
      cameraLike.push({ gray: s.gray, width: s.width, height: s.height, timestampMs: i * 100, index: i, label: digits.labels[i], source: 'synth' });
    }
    const file = path.join(scratch, 'lossless.mkv');
    expect(await writeGrayVideo(cameraLike, file, { fps: 10 })).toEqual({ file, frames: 6, codec: 'FFV1 (lossless gray)' });
    expect(await probeVideo(file)).toEqual({ width: 640, height: 480, fps: 10 });
    const back: Frame[] = [];
    for await (const f of videoFrames(file)) back.push(f);
    expect(back).toHaveLength(6);
    back.forEach((f, i) => {
      expect([f.width, f.height, f.index, f.timestampMs, f.source]).toEqual([640, 480, i, i * 100, file]);
      expect(Buffer.from(f.gray).equals(Buffer.from(cameraLike[i].gray))).toBe(true);
    });
  }, 30_000);

  test('an H.264 clip (what the generator script writes) reads back close enough to find every digit', async () => {
    const file = path.join(scratch, 'clip.mp4');
    await writeGrayVideo(cameraLike, file, { fps: 10 });
    let k = 0;
    for await (const f of videoFrames(file)) {
      let diff = 0;
      for (let i = 0; i < f.gray.length; i++) diff += Math.abs(f.gray[i] - cameraLike[k].gray[i]);
      expect(diff / f.gray.length).toBeLessThan(3);
      expect((await preprocess(f)).kind).toBe('digit');
      k++;
    }
    expect(k).toBe(6);
  }, 30_000);

  test('size and frame-rate options scale and resample', async () => {
    const file = path.join(scratch, 'lossless.mkv');
    const frames: Frame[] = [];
    for await (const f of videoFrames(file, { size: { width: 320, height: 240 }, fps: 5 })) frames.push(f);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.length).toBeLessThanOrEqual(4);
    expect(frames[0].gray.length).toBe(320 * 240);
    expect(frames[1].timestampMs).toBe(200);
  }, 30_000);

  test('breaking out of the loop early kills ffmpeg', async () => {
    const file = path.join(scratch, 'long.mkv');
    await writeGrayVideo(gradientFrames(300, 64, 48), file, { fps: 25 });
    const watched = watchedSpawn();
    let seen = 0;
    for await (const f of videoFrames(file, { spawn: watched.spawn })) {
      expect(f.gray.length).toBe(64 * 48);
      if (++seen === 2) break;
    }
    expect(watched.children).toHaveLength(1);
    expect(ended(watched.children[0])).toBe(true);
  }, 30_000);

  test('aborting the signal stops the source with an AbortError and kills ffmpeg', async () => {
    const file = path.join(scratch, 'long.mkv');
    const watched = watchedSpawn();
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const f of videoFrames(file, { spawn: watched.spawn, signal: controller.signal, realtime: true })) {
        seen.push(f.index);
        if (f.index === 1) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1]);
    expect(ended(watched.children[0])).toBe(true);
  }, 30_000);

  test("'latest' delivery drops frames a slow consumer had no time for (live-camera mode)", async () => {
    const frames: Frame[] = [];
    const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=50:duration=0.8', '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'];
    for await (const f of readRawFrames({ ffmpegPath: ffmpeg!.path, args, width: 64, height: 48, source: 'testsrc', timestampMs: (i) => i * 20, mode: 'latest' })) {
      frames.push(f);
      await new Promise((r) => setTimeout(r, 100));
    }
    const indices = frames.map((f) => f.index);
    expect(indices.length).toBeLessThan(20);
    expect(indices.at(-1)).toBeGreaterThan(30);
    for (let i = 1; i < indices.length; i++) expect(indices[i]).toBeGreaterThan(indices[i - 1]);
  }, 30_000);

  test('failures name the file and what went wrong', async () => {
    await expect(videoFrames(path.join(scratch, 'missing.mp4')).next()).rejects.toThrow(/missing\.mp4: no such file/);
    const text = path.join(scratch, 'notes.mp4');
    writeFileSync(text, 'this is not a video');
    await expect(videoFrames(text).next()).rejects.toThrow(/notes\.mp4/);
    const bad = readRawFrames({ ffmpegPath: ffmpeg!.path, args: ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'nosuchfilter', '-f', 'rawvideo', 'pipe:1'], width: 8, height: 8, source: 'bad', timestampMs: () => 0, mode: 'every' });
    const failure = await bad.next().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FfmpegProcessError);
    expect((failure as FfmpegProcessError).message).toMatch(/bad: ffmpeg exited with code [1-9]/);
    await expect(writeGrayVideo(gradientFrames(2, 8, 8), path.join(scratch, 'x.webm'), { fps: 5 })).rejects.toThrow(/unsupported extension/);
    await expect(writeGrayVideo(gradientFrames(2, 9, 8), path.join(scratch, 'x.mp4'), { fps: 5 })).rejects.toThrow(/even width and height/);
  }, 30_000);

  test('the generator script writes labelled JPEG frames and an MJPEG clip', () => {
    const out = path.join(scratch, 'generated');
    const clip = path.join(out, 'clip.avi');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-camera-frames.ts', '--out', out, '--count', '2', '--start', '10', '--video', clip], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '..') });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['clip.avi', 'mnist-test-00010-label0.jpg', 'mnist-test-00011-label6.jpg']);
    expect(existsSync(clip)).toBe(true);
  }, 30_000);
});
