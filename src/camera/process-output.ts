import { execFile } from 'node:child_process';

export interface ProcessOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a short-lived tool to completion and returns its output whatever the exit code (ffmpeg's probe modes exit 1). */
export function runToCompletion(file: string, args: readonly string[], timeoutMs = 20_000): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`cannot run ${file} ${args.join(' ')}: ${error.message}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
