/**
 * The page's assets: index.html and style.css as written, and the TypeScript client bundled by esbuild in memory
 * when the server starts (~0.1 s), so a fresh clone needs no build step and nothing comes from a CDN.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const CLIENT_DIR = fileURLToPath(new URL('./client/', import.meta.url));

export async function loadClientAssets(): Promise<ReadonlyMap<string, Asset>> {
  const bundle = await build({
    entryPoints: [`${CLIENT_DIR}main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    sourcemap: 'inline',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0];
  if (!js) throw new Error(`esbuild produced no output for ${CLIENT_DIR}main.ts`);
  return new Map<string, Asset>([
    ['/', { body: readFileSync(`${CLIENT_DIR}index.html`), type: 'text/html; charset=utf-8' }],
    ['/style.css', { body: readFileSync(`${CLIENT_DIR}style.css`), type: 'text/css; charset=utf-8' }],
    ['/app.js', { body: Buffer.from(js.contents), type: 'text/javascript; charset=utf-8' }],
  ]);
}
