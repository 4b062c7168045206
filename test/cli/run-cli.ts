import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs `pathlight ARGS` exactly as a user would (bin/pathlight.mjs through node). */
export function cli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pathlight.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // not JSON: left null, the test says so
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}
