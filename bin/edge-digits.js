#!/usr/bin/env node
// Runs the compiled CLI in dist/ (built by `npm run build`, which `prepare` runs on npm install / npm ci). In a
// checkout where a source is newer than the build, it rebuilds first (~0.5 s), so the CLI never runs stale code.
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { build, isStale } from '../scripts/build.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
if (isStale()) await build({ quiet: true });
await import(pathToFileURL(path.join(root, 'dist', 'src', 'cli', 'main.js')).href);
