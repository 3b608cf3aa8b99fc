import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArtifact, validateArtifact, type Int8Model } from '../src/quantize/index.js';
import { randomArtifact } from './fixtures/random-artifact.js';

type Mutable = Record<string, unknown> & { layers: Record<string, unknown>[] };
const copy = (m: Int8Model): Mutable => JSON.parse(JSON.stringify(m)) as Mutable;
const check = (m: unknown): Int8Model => validateArtifact(m, 'm.int8.json');

describe('artifact validation', () => {
  const good = randomArtifact(7);
  const dir = mkdtempSync(path.join(tmpdir(), 'ed-artifact-'));

  it('accepts a valid artifact and round-trips through a file', () => {
    const f = path.join(dir, 'ok.int8.json');
    writeFileSync(f, JSON.stringify(good));
    expect(loadArtifact(f).layers.length).toBe(good.layers.length);
  });

  it('truncated file', () => {
    const f = path.join(dir, 'cut.int8.json');
    writeFileSync(f, JSON.stringify(good).slice(0, 500));
    expect(() => loadArtifact(f)).toThrow(/cut\.int8\.json: truncated JSON \(500 bytes\)/);
  });

  it('missing file', () => {
    expect(() => loadArtifact(path.join(dir, 'nope.json'))).toThrow(/nope\.json: file not found/);
  });

  it('wrong format name', () => {
    const m = copy(good); m.format = 'tflite';
    expect(() => check(m)).toThrow(/m\.int8\.json: format: expected "edge-digits-int8", got "tflite"/);
  });

  it('unknown version', () => {
    const m = copy(good); m.version = 2;
    expect(() => check(m)).toThrow(/version: unsupported version 2; this edge-digits reads version 1/);
  });

  it('mismatched shapes between layers', () => {
    const m = copy(good); m.layers[1].inShape = [5, 5, 4];
    expect(() => check(m)).toThrow(/layers\[1\]\.inShape: \[5, 5, 4\] does not match the previous output \[14, 14, 4\]/);
  });

  it('wrong max-pool output shape', () => {
    const m = copy(good); m.layers[1].outShape = [6, 7, 4];
    expect(() => check(m)).toThrow(/layers\[1\]\.outShape: \[6, 7, 4\] does not match the pooled shape \[7, 7, 4\]/);
  });

  it('weights array of the wrong length', () => {
    const m = copy(good); (m.layers[0].weights as number[]).pop();
    expect(() => check(m)).toThrow(/layers\[0\]\.weights: expected 36 values, found 35/);
  });

  it('weight outside the symmetric int8 range', () => {
    const m = copy(good); (m.layers[2].weights as number[])[17] = -128;
    expect(() => check(m)).toThrow(/layers\[2\]\.weights\[17\]: -128 is not an integer in \[-127, 127\]/);
  });

  it('zero point outside int8', () => {
    const m = copy(good); (m.layers[2].output as { zeroPoint: number }).zeroPoint = 130;
    expect(() => check(m)).toThrow(/layers\[2\]\.output\.zeroPoint: 130 is outside \[-128, 127\]/);
  });

  it('shift outside TFLite\'s range', () => {
    const m = copy(good); (m.layers[0].shifts as number[])[0] = 31;
    expect(() => check(m)).toThrow(/layers\[0\]\.shifts\[0\]: 31 is not an integer in \[-31, 30\]/);
  });

  it('non-integer bias', () => {
    const m = copy(good); (m.layers[4].bias as number[])[3] = 1.5;
    expect(() => check(m)).toThrow(/layers\[4\]\.bias\[3\]: 1\.5 is not an integer/);
  });

  it('zero or negative scale', () => {
    const m = copy(good); (m.layers[0].weightScales as number[])[2] = 0;
    expect(() => check(m)).toThrow(/layers\[0\]\.weightScales\[2\]: expected a positive finite scale, got 0/);
  });

  it('unknown op', () => {
    const m = copy(good); m.layers[1].op = 'avgpool';
    expect(() => check(m)).toThrow(/layers\[1\]\.op: unknown op "avgpool"/);
  });

  it('ReLU clamp that is not the output zero point', () => {
    const m = copy(good); m.layers[0].activationMin = -128;
    expect(() => check(m)).toThrow(/layers\[0\]\.activationMin: a fused ReLU clamps at the output zero point/);
  });

  it('input mapping other than pixel − 128', () => {
    const m = copy(good); (m.input as { zeroPoint: number }).zeroPoint = 0;
    expect(() => check(m)).toThrow(/input: must be scale 1\/255, zero point −128/);
  });

  it('output that is not 10 logits', () => {
    const m = copy(good); (m.output as { shape: number[] }).shape = [9];
    expect(() => check(m)).toThrow(/output\.shape: \[9\] does not match the last layer's output \[10\]/);
  });
});
