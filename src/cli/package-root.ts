import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder of edge-digits' package.json, found from this file, so shipped files (models/default, …) resolve
 * the same from any working directory and from the built code in dist/.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'edge-digits') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find edge-digits' package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function packageVersion(): string {
  return String((JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version);
}

/** The shipped default int8 artifact (models/default/model.int8.json in the package): the one definition. */
export function defaultArtifactPath(): string {
  return path.join(packageRoot(), 'models', 'default', 'model.int8.json');
}
