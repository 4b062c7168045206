import { parseArgs as nodeParseArgs } from 'node:util';
import { fail } from '../engine/errors';

/** Parsed command line: positional words and flags (repeatable flags keep every value). */
export interface Args {
  command: string;
  positional: string[];
  flags: Map<string, string[]>;
}

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set(['help', 'tiny', 'greedy', 'all-hooks', 'progress', 'faithfulness']);

export function parseArgs(argv: string[]): Args {
  const [command = 'help', ...rest] = argv;
  // node:util's parser with every option this command line names declared: value options repeatable strings,
  // the known flags booleans; each command then accepts only its own (allowFlags).
  const options: Record<string, { type: 'string' | 'boolean'; multiple: true }> = {};
  for (const a of rest) {
    if (!a.startsWith('--') || a === '--') continue;
    const name = a.slice(2).split('=')[0];
    options[name] = { type: BOOLEAN_FLAGS.has(name) ? 'boolean' : 'string', multiple: true };
  }
  // A negative number after a value option is its value (node's parser would call it ambiguous).
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i].startsWith('--') && !rest[i].includes('=') ? rest[i].slice(2) : null;
    if (name && options[name]?.type === 'string' && /^-\d|^-\.\d/.test(rest[i + 1] ?? '')) args.push(`--${name}=${rest[++i]}`);
    else args.push(rest[i]);
  }
  let parsed;
  try {
    parsed = nodeParseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const m = /Option '--([^ ']+)[^']*' argument missing/.exec((e as Error).message);
    fail(m ? `--${m[1]} needs a value` : (e as Error).message);
  }
  const flags = new Map<string, string[]>();
  for (const [name, v] of Object.entries(parsed.values)) flags.set(name, (v as Array<string | boolean>).map((x) => (x === true ? 'true' : String(x))));
  return { command, positional: parsed.positionals, flags };
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
