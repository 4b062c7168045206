/**
 * Turns any value that claims to be a session (a decoded link, a stored record, an imported file) into a
 * valid current session plus human-readable notices: fills defaults, migrates older versions, clamps numbers
 * into range, drops invalid list entries and resets invalid fields to their defaults. Never throws, never
 * mutates its input.
 */
import type { $ZodIssue } from 'zod/v4/core';
import { migrate } from './migrate';
import { CURRENT_VERSION, defaultSession, defaultSessionV1, LIMITS, NUMERIC_RANGES, Session, type Session as SessionT } from './schema';

export type Obj = Record<string, unknown>;

export interface Normalized {
  session: SessionT;
  /** What was changed or ignored, one sentence each; empty when the input was a valid session. */
  notices: string[];
  /** ok: valid as given; repaired: some fields fell back or were clamped; default: unusable, defaults used. */
  status: 'ok' | 'repaired' | 'default';
}

export const isPlainObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);

/** Keys never copied out of untrusted data. */
export const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Structural equality of JSON-like data (undefined-valued keys count as absent). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * A copy holding only JSON-like data: plain objects, arrays (typed arrays become arrays), strings, finite
 * and non-finite numbers, booleans, null. Functions, symbols, undefined, dangerous keys and anything nested
 * deeper than `depth` are left out; `dropped` collects the dangerous keys met.
 */
export function cloneData(x: unknown, dropped: Set<string> = new Set(), depth = 32): unknown {
  if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  if (depth <= 0) return undefined;
  if (Array.isArray(x)) return x.map((v) => cloneData(v, dropped, depth - 1) ?? null);
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
  if (isPlainObject(x)) {
    const out: Obj = {};
    for (const k of Object.keys(x)) {
      if (DANGEROUS_KEYS.has(k)) {
        dropped.add(k);
        continue;
      }
      const v = cloneData(x[k], dropped, depth - 1);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  return undefined;
}

/**
 * The compact form of `value`: only what differs from `def`. Objects are compared field by field; lists and
 * other values whole. A field that `def` has and `value` lacks is written as null ("absent").
 */
export function diffFromDefaults(value: Obj, def: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (v === undefined || deepEqual(v, def[k])) continue;
    out[k] = isPlainObject(v) && isPlainObject(def[k]) ? diffFromDefaults(v, def[k] as Obj) : v;
  }
  for (const k of Object.keys(def)) if (def[k] !== undefined && value[k] === undefined) out[k] = null;
  return out;
}

/**
 * Inverse of diffFromDefaults: `diff` laid over `def` (objects merged field by field, null = absent). An
 * object whose `kind` differs from the default's (another model source) replaces it whole.
 */
export function mergeDefaults(def: Obj, diff: Obj): Obj {
  const out: Obj = 'kind' in diff && 'kind' in def && diff.kind !== def.kind ? {} : { ...def };
  for (const k of Object.keys(diff)) {
    if (DANGEROUS_KEYS.has(k)) continue;
    const v = diff[k];
    if (v === null || v === undefined) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = mergeDefaults(out[k] as Obj, v);
    else out[k] = v;
  }
  return out;
}

const FIELD_NAMES: Record<string, string> = {
  model: 'model',
  backend: 'backend',
  prompt: 'prompt',
  image: 'image',
  target: 'target',
  method: 'analysis settings',
  'method.name': 'method',
  'method.steps': 'number of steps',
  'method.beam': 'beam width',
  'method.positions': 'positions',
  'method.layer': 'layer',
  'method.ran': 'run flag',
  edits: 'edits',
  selected: 'selected nodes',
  view: 'view',
  'view.tab': 'tab',
  'view.layer': 'view layer',
  'view.head': 'view head',
  'view.zoom': 'zoom',
  'view.x': 'horizontal pan',
  'view.y': 'vertical pan',
  generation: 'generation settings',
  'generation.maxTokens': 'number of generated tokens',
  'generation.temperature': 'temperature',
  'generation.topK': 'top-k',
  'generation.seed': 'seed',
};

/** A short, safe rendering of an untrusted value for a notice. */
export function show(x: unknown): string {
  let s: string;
  try {
    s = typeof x === 'string' ? JSON.stringify(x) : x === undefined ? 'nothing' : (JSON.stringify(x) ?? String(x));
  } catch {
    s = String(x);
  }
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

function getAt(o: unknown, path: PropertyKey[]): unknown {
  let cur = o;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[k as string];
  }
  return cur;
}

function setAt(o: Obj, path: PropertyKey[], value: unknown): void {
  const parent = getAt(o, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') return;
  const k = path[path.length - 1] as string;
  if (value === undefined) delete (parent as Obj)[k];
  else (parent as Obj)[k] = value;
}

export function clampNumber(x: number, r: { min: number; max: number; int: boolean }): number {
  const v = r.int ? Math.round(x) : x;
  return Math.min(r.max, Math.max(r.min, v));
}

function describeEdit(e: unknown): string {
  if (!isPlainObject(e)) return show(e);
  const where = typeof e.hook === 'string' ? e.hook.slice(0, 48) : '?';
  return `${typeof e.op === 'string' ? e.op.slice(0, 8) : '?'} on ${where}${typeof e.index === 'number' ? ` #${e.index}` : ''}`;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/**
 * Repairs a current-version candidate against the schema, field by field. Each round fixes every issue the
 * schema reports; refinements that only run once the shape is right may need another round.
 */
export function repair(candidate: Obj, notices: string[]): { session: SessionT; ok: boolean } {
  const c = candidate;
  const def = defaultSession() as unknown as Obj;
  // Long lists are cut before validation, so a large payload costs little and names few problems.
  for (const [key, max, what] of [['edits', LIMITS.edits, 'edit'], ['selected', LIMITS.selected, 'selected node']] as const) {
    const list = c[key];
    if (Array.isArray(list) && list.length > max) {
      c[key] = list.slice(0, max);
      notices.push(`The session has ${plural(list.length, what)}; only the first ${max} were kept.`);
    }
  }
  for (let round = 0; round < 8; round++) {
    const r = Session.safeParse(c);
    if (r.success) return { session: r.data, ok: true };
    const drop: Record<'edits' | 'selected', Set<number>> = { edits: new Set(), selected: new Set() };
    const fixed = new Set<string>();
    for (const issue of r.error.issues) fixIssue(c, def, issue, drop, fixed, notices);
    for (const key of ['edits', 'selected'] as const) {
      const list = c[key];
      if (drop[key].size && Array.isArray(list)) c[key] = list.filter((_, i) => !drop[key].has(i));
    }
  }
  notices.push('The session could not be repaired; the defaults are used.');
  return { session: defaultSession(), ok: false };
}

function fixIssue(c: Obj, def: Obj, issue: $ZodIssue, drop: Record<'edits' | 'selected', Set<number>>, fixed: Set<string>, notices: string[]): void {
  const path = issue.path;
  // One fix per field and round: a second issue about a field already fixed this round is stale.
  const grouped = ['edits', 'selected', 'method', 'view', 'generation'].includes(String(path[0]));
  const fixKey = path.slice(0, grouped ? 2 : 1).map(String).join('.');
  if (issue.code !== 'unrecognized_keys') {
    if (fixed.has(fixKey) || [...fixed].some((f) => fixKey.startsWith(`${f}.`))) return;
    fixed.add(fixKey);
  }
  const top = path[0] as string | undefined;
  if (issue.code === 'unrecognized_keys') {
    const holder = getAt(c, path);
    if (holder && typeof holder === 'object') for (const k of issue.keys) delete (holder as Obj)[k];
    const where = path.length === 0 ? '' : top === 'edits' && path.length === 2 ? ` in edit ${Number(path[1]) + 1}` : ` in ${path.join('.')}`;
    notices.push(`Ignored unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => show(k)).join(', ')}${where}.`);
    return;
  }
  if (top === undefined) {
    // The whole value is wrong (not an object): nothing field-wise to do.
    for (const k of Object.keys(c)) delete c[k];
    Object.assign(c, def);
    notices.push(`The session is not valid (${issue.message}); the defaults are used.`);
    return;
  }
  const key = path.slice(0, 2).map((k) => (typeof k === 'number' ? '*' : String(k))).join('.');
  const old = getAt(c, path.slice(0, 2));

  if (top === 'edits' || top === 'selected') {
    const list = c[top];
    const what = top === 'edits' ? 'edits' : 'selected nodes';
    if (path.length === 1) {
      if (issue.code === 'too_big' && Array.isArray(list)) {
        const max = top === 'edits' ? LIMITS.edits : LIMITS.selected;
        c[top] = list.slice(0, max);
        notices.push(`The session has ${plural(list.length, top === 'edits' ? 'edit' : 'selected node')}; only the first ${max} were kept.`);
      } else {
        c[top] = [];
        notices.push(`The ${what} in the session are not a list (${issue.message}); none are used.`);
      }
      return;
    }
    const i = Number(path[1]);
    if (!Array.isArray(list) || !(i in list) || drop[top].has(i)) return;
    const item = list[i];
    if (top === 'edits' && path.length === 3) {
      const field = path[2];
      const val = getAt(c, path);
      if (field === 'value' && typeof val === 'number' && Number.isFinite(val)) {
        const v = clampNumber(val, NUMERIC_RANGES['edits.*.value']);
        setAt(c, path, v);
        notices.push(`Edit ${i + 1} (${describeEdit(item)}): value ${show(val)} is outside ±${LIMITS.editValue}; using ${v}.`);
        return;
      }
      if (field === 'label' && typeof val === 'string' && issue.code === 'too_big') {
        setAt(c, path, val.slice(0, LIMITS.labelChars));
        notices.push(`Edit ${i + 1}: the label was cut to ${LIMITS.labelChars} characters.`);
        return;
      }
    }
    drop[top].add(i);
    if (top === 'edits') {
      const field = path.slice(2).filter((k) => typeof k === 'string').join('.');
      notices.push(`Edit ${i + 1} (${describeEdit(item)}) is not valid (${field ? `${field}: ` : ''}${issue.message}); it was dropped.`);
    } else {
      notices.push(`The selected node ${show(item)} is not valid (${issue.message}); it was dropped.`);
    }
    return;
  }

  if (top === 'prompt') {
    const p = c.prompt;
    if (typeof p === 'string' && issue.code === 'too_big') {
      c.prompt = p.slice(0, LIMITS.promptChars);
      notices.push(`The prompt is ${p.length} characters long; it was cut to the first ${LIMITS.promptChars}.`);
    } else {
      c.prompt = '';
      notices.push(`The prompt in the session is not text (${issue.message}); it was left empty.`);
    }
    return;
  }

  // Grouped settings fall back field by field; the model, the target and anything at the top level whole.
  const fieldwise = (top === 'method' || top === 'view' || top === 'generation') && path.length >= 2;
  const at = fieldwise ? path.slice(0, 2) : [top];
  const name = FIELD_NAMES[fieldwise ? key : top] ?? (fieldwise ? key : top);
  const range = NUMERIC_RANGES[key];
  if (fieldwise && range && typeof old === 'number' && Number.isFinite(old)) {
    const v = clampNumber(old, range);
    if (v !== old) {
      setAt(c, at, v);
      notices.push(`The ${name} ${show(old)} is outside ${range.min}..${range.max}; using ${v}.`);
      return;
    }
  }
  const fallback = getAt(def, at);
  setAt(c, at, fallback === undefined ? undefined : structuredClone(fallback));
  const detail = path.length > at.length ? `${path.slice(at.length).join('.')}: ${issue.message}` : issue.message;
  const action =
    fallback === undefined
      ? 'it was left out'
      : top === 'model'
        ? `using the default model ${show((fallback as Obj).name)}`
        : isPlainObject(fallback)
          ? 'using the defaults'
          : `using the default ${show(fallback)}`;
  const verb = ['analysis settings', 'generation settings', 'positions'].includes(name) ? 'are' : 'is';
  notices.push(`The ${name}${fieldwise ? ` ${show(old)}` : ''} ${verb} not valid (${detail}); ${action}.`);
}

/** Most notices returned; the rest are counted in a last one. */
export const MAX_NOTICES = 12;

export interface NormalizeOptions {
  /** The version when the value carries none (a link's tag says it); else the value's `v`, else current. */
  version?: number;
}

/** Which defaults the fields of a version's objects are laid over. */
function defaultsOf(version: number): Obj {
  return (version === 1 ? defaultSessionV1() : defaultSession()) as unknown as Obj;
}

/** Validates, fills, migrates and repairs anything into a current session. Never throws. */
export function normalizeSession(raw: unknown, opts: NormalizeOptions = {}): Normalized {
  const notices: string[] = [];
  try {
    const dropped = new Set<string>();
    const data = cloneData(raw, dropped);
    if (dropped.size) notices.push(`Ignored the field${dropped.size > 1 ? 's' : ''} ${[...dropped].map((k) => `"${k}"`).join(', ')}.`);
    if (!isPlainObject(data)) {
      notices.push('The session is not an object; the defaults are used.');
      return { session: defaultSession(), notices, status: 'default' };
    }
    let version = opts.version ?? (data.v === undefined ? CURRENT_VERSION : data.v);
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
      notices.push(`Unknown session version ${show(version)}; reading it as version ${CURRENT_VERSION}.`);
      version = CURRENT_VERSION;
    } else if (version > CURRENT_VERSION) {
      notices.push(`This session was made by a newer version of Pathlight (format v${version}); reading what this version understands.`);
      version = CURRENT_VERSION;
    }
    const { v: _v, ...fields } = data;
    const merged = mergeDefaults(defaultsOf(version as number), fields);
    const current = migrate(version as number, { ...merged, v: version }, notices);
    current.v = CURRENT_VERSION;
    const { session, ok } = repair(current, notices);
    let unique = [...new Set(notices)];
    if (unique.length > MAX_NOTICES) unique = [...unique.slice(0, MAX_NOTICES - 1), `…and ${unique.length - MAX_NOTICES + 1} more problems.`];
    return { session, notices: unique, status: !ok ? 'default' : unique.length ? 'repaired' : 'ok' };
  } catch (e) {
    notices.push(`The session could not be read (${e instanceof Error ? e.message : String(e)}); the defaults are used.`);
    return { session: defaultSession(), notices, status: 'default' };
  }
}
