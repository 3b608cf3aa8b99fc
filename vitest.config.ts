import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 *   unit        fast, pure TypeScript: no system tool, no CLI process, no training — `npm run test:unit`
 *   integration the tests that compile C, boot QEMU, run ffmpeg/socat/chromium, spawn the CLI or train with tfjs
 * `npm test` runs both. A test file belongs to `integration` when it is listed below (a new file that needs a tool
 * or takes seconds goes on this list); everything else is `unit`.
 */
export const INTEGRATION_TESTS = [
  'test/batch-norm.test.ts',
  'test/bench-help.test.ts',
  'test/board-*.test.ts',
  'test/cached-build.test.ts',
  'test/camera-colour.test.ts',
  'test/camera-video.test.ts',
  'test/cli*.test.ts',
  'test/conv2d-backprop-filter.test.ts',
  'test/firmware-arduino.test.ts',
  'test/firmware-conformance.test.ts',
  'test/firmware-generate.test.ts',
  'test/firmware-kernels.test.ts',
  'test/fixed-point-c.test.ts',
  'test/logistic-c.test.ts',
  'test/logistic-tflm.test.ts',
  'test/model-mlp.test.ts',
  'test/protocol-c.test.ts',
  'test/protocol-ids.test.ts',
  'test/qemu-*.test.ts',
  'test/serve*.test.ts',
  'test/tflm-oracle.test.ts',
  'test/train.test.ts',
];

export default defineConfig({
  test: {
    // Sized for a loaded 2-core machine: vitest's 5 s default fails there on tests that take 1 s on a quiet one.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // dist/ (the compiled CLI the tests spawn) is built once before any test file runs.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION_TESTS } },
      { extends: true, test: { name: 'integration', include: INTEGRATION_TESTS } },
    ],
  },
});
