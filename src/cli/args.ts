import { fail } from '../engine/errors';

/** Parsed command line: positional words and flags (repeatable flags keep every value). */
export interface Args {
  command: string;
  positional: string[];
  flags: Map<string, string[]>;
}

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set(['help', 'tiny', 'greedy', 'all-hooks', 'progress']);

export function parseArgs(argv: string[]): Args {
  const [command = 'help', ...rest] = argv;
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (BOOLEAN_FLAGS.has(name)) {
      value = 'true';
    } else {
      value = rest[++i];
      if (value === undefined) fail(`--${name} needs a value`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command, positional, flags };
}

export function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v && v.length > 1) fail(`--${name} was given ${v.length} times; it takes one value`);
  return v?.[0];
}

export function flags(args: Args, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function requireFlag(args: Args, name: string): string {
  const v = flag(args, name);
  if (v === undefined) fail(`--${name} is required`);
  return v;
}

export function numberFlag(args: Args, name: string, fallback: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const v = opts.integer ? (/^-?\d{1,15}$/.test(raw) ? Number(raw) : NaN) : /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) fail(`--${name}: "${raw}" is not ${opts.integer ? 'an integer' : 'a number'}`);
  if (opts.min !== undefined && v < opts.min) fail(`--${name}: ${v} is below the minimum ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) fail(`--${name}: ${v} is above the maximum ${opts.max}`);
  return v;
}

/** Only the given flags are accepted by a command; anything else is a typo worth reporting. */
export function allowFlags(args: Args, allowed: string[]): void {
  for (const name of args.flags.keys()) {
    if (!allowed.includes(name)) fail(`unknown option --${name} for "${args.command}" (accepted: ${allowed.map((a) => `--${a}`).join(', ')})`);
  }
}
