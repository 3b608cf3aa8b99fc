import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, test } from 'vitest';
import { createRng, imageAt, loadDigitSet } from '../src/data/index.js';
import {
  cameraInputArgs, FfmpegNotFoundError, frameSeed, imageFrames, labelFromFilename, listCameras, listImageFiles,
  mnistFrames, naturalCompare, openFrameSource, parseAvfoundationDevices, parseDshowDevices, parseFfmpegBanner,
  parseFfprobeJson, preprocess, resolveFfmpeg, sourceKind, synthesizeCameraFrame, type Frame,
} from '../src/camera/index.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'camera');
const FRAMES = path.join(FIXTURES, 'frames');
const scratch = mkdtempSync(path.join(tmpdir(), 'edge-digits-camera-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function collect(source: AsyncIterable<Frame>): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of source) frames.push(f);
  return frames;
}

describe('labels from file names', () => {
  test.each([
    ['mnist-test-00012-label7.jpg', 7],
    ['shots/img_digit=3.png', 3],
    ['label_0.webp', 0],
    ['Label-9.PNG', 9],
    ['capture-label5-take2.jpg', 5],
  ])('%s → %i', (name, label) => expect(labelFromFilename(name)).toBe(label));

  test.each(['0007.png', 'photo-2024.jpg', 'label12.png', 'relabel3.png', 'digits.png'])('%s has no label', (name) => {
    expect(labelFromFilename(name)).toBeUndefined();
  });
});

describe('image folder source', () => {
  test('an unreadable file stops the source, unless onUnreadable is given: then it is reported and skipped', async () => {
    const dir = path.join(scratch, 'unreadable');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'a-label1.jpg'), readFileSync(path.join(FRAMES, 'mnist-test-00002-label1.jpg')));
    writeFileSync(path.join(dir, 'b-label2.jpg'), Buffer.from('not a jpeg at all'));
    writeFileSync(path.join(dir, 'c-label0.jpg'), readFileSync(path.join(FRAMES, 'mnist-test-00003-label0.jpg')));
    await expect(collect(imageFrames(dir))).rejects.toThrow(/b-label2\.jpg: cannot decode/);
    const reported: [string, number, string][] = [];
    const frames = await collect(imageFrames(dir, { onUnreadable: (file, index, message) => reported.push([path.basename(file), index, message]) }));
    expect(frames.map((f) => [path.basename(f.source), f.index, f.label])).toEqual([['a-label1.jpg', 0, 1], ['c-label0.jpg', 2, 0]]);
    expect(reported.map(([f, i]) => [f, i])).toEqual([['b-label2.jpg', 1]]);
    expect(reported[0][2]).toMatch(/cannot decode/);
  });

  test('natural order: frame-2 before frame-10', () => {
    expect(['frame-10.png', 'frame-2.png', 'frame-1.png', 'Frame-3.png'].sort(naturalCompare)).toEqual(['frame-1.png', 'frame-2.png', 'Frame-3.png', 'frame-10.png']);
  });

  test('the committed camera-like frames decode with their labels, and each holds a findable digit', async () => {
    const frames = await collect(imageFrames(FRAMES));
    expect(frames.map((f) => path.basename(f.source))).toEqual([
      'mnist-test-00000-label7.jpg', 'mnist-test-00001-label2.jpg', 'mnist-test-00002-label1.jpg', 'mnist-test-00003-label0.jpg',
    ]);
    expect(frames.map((f) => f.label)).toEqual([7, 2, 1, 0]);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    const digits = loadDigitSet('mnist:test', 4);
    expect(frames.map((f) => f.label)).toEqual(Array.from(digits.labels));
    for (const f of frames) {
      expect([f.width, f.height, f.gray.length]).toEqual([640, 480, 640 * 480]);
      const r = await preprocess(f);
      expect(r.kind, f.source).toBe('digit');
    }
    // The last fixture was rendered chalk-on-board.
    expect((await preprocess(frames[3])).geometry.polarity).toBe('light-on-dark');
  });

  test('globs, single files, natural order, transparency flattened to white, EXIF orientation applied', async () => {
    const dir = path.join(scratch, 'shots');
    const ink = Buffer.alloc(40 * 30 * 4);
    for (let i = 0; i < 40 * 30; i++) ink[i * 4 + 3] = i % 40 < 20 ? 255 : 0; // left half opaque black, right half transparent
    mkdirSync(dir, { recursive: true });
    await sharp(ink, { raw: { width: 40, height: 30, channels: 4 } }).png().toFile(path.join(dir, 'shot-10-label4.png'));
    await sharp(ink, { raw: { width: 40, height: 30, channels: 4 } }).png().toFile(path.join(dir, 'shot-2.png'));
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toFile(path.join(dir, 'shot-3.jpg'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not an image');

    const frames = await collect(imageFrames(dir, { intervalMs: 100 }));
    expect(frames.map((f) => path.basename(f.source))).toEqual(['shot-2.png', 'shot-3.jpg', 'shot-10-label4.png']);
    expect(frames.map((f) => f.label)).toEqual([undefined, undefined, 4]);
    expect(frames.map((f) => f.timestampMs)).toEqual([0, 100, 200]);
    const png = frames[0];
    expect([png.width, png.height]).toEqual([40, 30]);
    expect(png.gray[0]).toBe(0);
    expect(png.gray[39]).toBe(255);
    // Orientation 6 (rotate 90°): a 40×30 stored image is shown 30×40.
    expect([frames[1].width, frames[1].height]).toEqual([30, 40]);

    expect(listImageFiles(path.join(dir, 'shot-*.png')).map((f) => path.basename(f))).toEqual(['shot-2.png', 'shot-10-label4.png']);
    expect(listImageFiles(path.join(dir, 'shot-3.jpg'))).toEqual([path.join(dir, 'shot-3.jpg')]);
    expect(() => listImageFiles(path.join(dir, '*.gif'))).toThrow(/no file matches/);
    expect(() => listImageFiles(path.join(scratch, '*', 'a.png'))).toThrow(/file name only/);
    expect(() => listImageFiles(path.join(scratch, 'missing'))).toThrow(/no such file or folder/);
    await expect(collect(imageFrames(path.join(dir, 'notes.txt')))).rejects.toThrow(/notes\.txt: cannot decode/);
  });

  test('an aborted signal stops the source', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await expect((async () => {
      for await (const f of imageFrames(FRAMES, { signal: controller.signal })) {
        seen.push(f.index);
        controller.abort();
      }
    })()).rejects.toThrow(/abort/i);
    expect(seen).toEqual([0]);
  });
});

describe('mnist:test source and the camera-like renderer', () => {
  test('hold: each digit stays for a run of frames, moving a little, with fresh sensor noise', async () => {
    const frames = await collect(mnistFrames({ count: 2, hold: 3, seed: 4 }));
    const digits = loadDigitSet('mnist:test', 2);
    expect(frames.map((f) => f.label)).toEqual([digits.labels[0], digits.labels[0], digits.labels[0], digits.labels[1], digits.labels[1], digits.labels[1]]);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const located = await Promise.all(frames.map((f) => preprocess(f)));
    const centres = located.map((r) => (r.kind === 'digit' ? r.geometry.centreOfMass : null));
    expect(centres.every((c) => c !== null)).toBe(true);
    for (const j of [1, 2]) {
      const d = Math.hypot(centres[j]!.x - centres[0]!.x, centres[j]!.y - centres[0]!.y);
      expect(d).toBeGreaterThan(0.5);
      expect(d).toBeLessThan(30);
    }
    await expect(collect(mnistFrames({ count: 1, hold: 0 }))).rejects.toThrow(/hold must be a positive integer/);
  });

  test('labelled, reproducible frames: frame k depends only on (seed, index)', async () => {
    const digits = loadDigitSet('mnist:test', 20);
    const a = await collect(mnistFrames({ start: 5, count: 3, seed: 9, digits }));
    const b = await collect(mnistFrames({ start: 6, count: 2, seed: 9, digits }));
    expect(a.map((f) => f.label)).toEqual([digits.labels[5], digits.labels[6], digits.labels[7]]);
    expect(a.map((f) => f.source)).toEqual(['mnist:test#5', 'mnist:test#6', 'mnist:test#7']);
    expect(Buffer.from(a[1].gray).equals(Buffer.from(b[0].gray))).toBe(true);
    const other = await collect(mnistFrames({ start: 6, count: 1, seed: 10, digits }));
    expect(Buffer.from(other[0].gray).equals(Buffer.from(b[0].gray))).toBe(false);
    await expect(collect(mnistFrames({ start: 19, count: 2, digits }))).rejects.toThrow(/count must be an integer in 0\.\.1/);
  });

  test('the renderer honours its options and keeps the digit inside the centre square', async () => {
    const digits = loadDigitSet('mnist:test', 30);
    for (let i = 0; i < 30; i++) {
      const s = await synthesizeCameraFrame(imageAt(digits, i), createRng(frameSeed(3, i)));
      const box = s.truth.digitBox!;
      expect(box.x).toBeGreaterThanOrEqual(80);
      expect(box.x + box.width).toBeLessThanOrEqual(560);
      expect(box.height / 480).toBeGreaterThan(0.2);
      expect(s.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
    const placed = await synthesizeCameraFrame(imageAt(digits, 0), createRng(1), { centre: { x: 100, y: 400 }, width: 320, height: 480 });
    expect(placed.truth.centre).toEqual({ x: 100, y: 400 });
    expect(placed.width).toBe(320);
    await expect(synthesizeCameraFrame(new Uint8Array(100), createRng(1))).rejects.toThrow(/784 pixels/);
    await expect(synthesizeCameraFrame(new Uint8Array(784), createRng(1))).rejects.toThrow(/no ink/);
    await expect(synthesizeCameraFrame(null, createRng(1), { jpegQuality: [90, 50] })).rejects.toThrow(/jpegQuality/);
  });
});

describe('source specs', () => {
  test('each spec form names its kind; unknown paths get a message listing the forms', () => {
    expect(sourceKind('mnist:test')).toBe('mnist');
    expect(sourceKind('mnist:train')).toBe('mnist');
    expect(sourceKind('camera')).toBe('camera');
    expect(sourceKind('camera:/dev/video2')).toBe('camera');
    expect(sourceKind(FRAMES)).toBe('images');
    expect(sourceKind(path.join(FRAMES, '*.jpg'))).toBe('images');
    expect(sourceKind(path.join(FRAMES, 'mnist-test-00000-label7.jpg'))).toBe('images');
    const clip = path.join(scratch, 'clip.mp4');
    writeFileSync(clip, '');
    expect(sourceKind(clip)).toBe('video');
    expect(() => sourceKind(path.join(scratch, 'nope.mp4'))).toThrow(/mnist:test.*camera.*glob.*video/);
  });

  test('openFrameSource reads a folder', async () => {
    const frames = await collect(openFrameSource(FRAMES));
    expect(frames).toHaveLength(4);
  });
});

describe('cameras', () => {
  test('device lists: avfoundation (macOS) and dshow (Windows, both output styles)', () => {
    const read = (f: string): string => readFileSync(path.join(FIXTURES, f), 'utf8');
    expect(parseAvfoundationDevices(read('avfoundation-devices.txt'))).toEqual([
      { id: '0', name: 'FaceTime HD Camera' }, { id: '1', name: 'USB 2.0 Camera' }, { id: '2', name: 'Capture screen 0' },
    ]);
    expect(parseDshowDevices(read('dshow-devices.txt')).map((d) => d.id)).toEqual(['Integrated Webcam', 'USB Document Camera']);
    expect(parseDshowDevices(read('dshow-devices-legacy.txt')).map((d) => d.id)).toEqual(['Integrated Camera', 'screen-capture-recorder']);
  });

  test('ffmpeg capture input per platform', () => {
    expect(cameraInputArgs('linux', '/dev/video0', 640, 480, 30)).toEqual(['-f', 'v4l2', '-framerate', '30', '-video_size', '640x480', '-i', '/dev/video0']);
    expect(cameraInputArgs('darwin', '0', 640, 480, 30)).toEqual(['-f', 'avfoundation', '-framerate', '30', '-video_size', '640x480', '-i', '0:none']);
    expect(cameraInputArgs('win32', 'Integrated Webcam', 320, 240, 15)).toEqual(['-f', 'dshow', '-framerate', '15', '-video_size', '320x240', '-i', 'video=Integrated Webcam']);
    expect(() => cameraInputArgs('aix', 'x', 1, 1, 1)).toThrow(/aix/);
  });

  test('listCameras on Linux lists /dev/video* nodes (none in a container is fine)', async () => {
    const cams = await listCameras('linux');
    for (const c of cams) expect(c.id).toMatch(/^\/dev\/video\d+$/);
    await expect(listCameras('aix')).rejects.toThrow(/aix/);
  });
});

describe('ffmpeg resolution and probing', () => {
  test('not on PATH and no optional package → an error saying how to install ffmpeg', async () => {
    const attempt = resolveFfmpeg({ searchPath: '', loadInstaller: () => Promise.reject(new Error('Cannot find package')) });
    await expect(attempt).rejects.toBeInstanceOf(FfmpegNotFoundError);
    await expect(attempt).rejects.toThrow(/apt-get install ffmpeg.*brew install ffmpeg.*@ffmpeg-installer\/ffmpeg/s);
  });

  test('PATH first, then the optional @ffmpeg-installer/ffmpeg package', async () => {
    const bin = path.join(scratch, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = path.join(bin, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n');
    chmodSync(fake, 0o755);
    const system = await resolveFfmpeg({ searchPath: `/nonexistent:${bin}`, platform: 'linux', loadInstaller: () => Promise.reject(new Error('absent')) });
    expect(system).toEqual({ path: fake, origin: 'system', ffprobe: null });
    const bundled = await resolveFfmpeg({ searchPath: '', platform: 'linux', loadInstaller: async () => ({ default: { path: fake } }) });
    expect(bundled.origin).toBe('@ffmpeg-installer/ffmpeg');
    expect(bundled.path).toBe(fake);
    await expect(resolveFfmpeg({ searchPath: '', loadInstaller: async () => ({ default: { path: path.join(bin, 'missing') } }) })).rejects.toThrow(/not an executable file/);
  });

  test('probe parsers: ffprobe JSON and the ffmpeg banner, with rotation swapping width and height', () => {
    expect(parseFfprobeJson('{"streams":[{"width":640,"height":480,"avg_frame_rate":"30000/1001"}]}', 'a.mp4')).toEqual({ width: 640, height: 480, fps: 30000 / 1001 });
    expect(parseFfprobeJson('{"streams":[{"width":1920,"height":1080,"avg_frame_rate":"0/0","r_frame_rate":"25/1","side_data_list":[{"rotation":-90}]}]}', 'p.mov')).toEqual({ width: 1080, height: 1920, fps: 25 });
    expect(() => parseFfprobeJson('{"streams":[]}', 'x.mp4')).toThrow(/x\.mp4: ffprobe found no video stream/);
    const banner = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':",
      '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 640x480 [SAR 1:1 DAR 4:3], 412 kb/s, 10 fps, 10 tbr, 10240 tbn (default)',
    ].join('\n');
    expect(parseFfmpegBanner(banner, 'clip.mp4')).toEqual({ width: 640, height: 480, fps: 10 });
    expect(() => parseFfmpegBanner('clip.mp4: Invalid data found when processing input', 'clip.mp4')).toThrow(/no video stream/);
  });
});
