/** Reading config.json fields with messages that name the field and the value (shared by the architecture files). */
import { fail } from '../errors';
import type { Activation } from '../types';
import type { ConfigFields } from './types';

/** More layers than any model this engine can hold; refused before anything is built per layer. */
export const MAX_LAYERS = 4096;

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

export function configFields(raw: Record<string, unknown>): ConfigFields {
  const at = (key: string, fallback: unknown) => (raw[key] === undefined || raw[key] === null ? fallback : raw[key]);
  const self: ConfigFields = {
    raw,
    posInt(key, fallback) {
      const v = at(key, fallback);
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`config.json: "${key}" must be a positive integer (got ${show(raw[key])})`);
      return v;
    },
    layers(key) {
      const n = self.posInt(key);
      if (n > MAX_LAYERS) fail(`config.json: "${key}" is ${n}; at most ${MAX_LAYERS} layers are supported`);
      return n;
    },
    optInt(key, fallback) {
      return self.posInt(key, fallback);
    },
    positive(key, fallback) {
      const v = at(key, fallback);
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) fail(`config.json: "${key}" must be a positive number (got ${show(raw[key])})`);
      return v;
    },
    fraction(key, fallback) {
      const v = at(key, fallback);
      if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(`config.json: "${key}" must be a number in (0, 1] (got ${show(raw[key])})`);
      return v;
    },
    bool(key, fallback) {
      const v = at(key, fallback);
      if (typeof v !== 'boolean') fail(`config.json: "${key}" must be true or false (got ${show(raw[key])})`);
      return v;
    },
    first(...keys) {
      for (const k of keys) if (raw[k] !== undefined && raw[k] !== null) return raw[k];
      return undefined;
    },
  };
  return self;
}

const ACTIVATION_NAMES: Record<string, Activation> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

/** The activation named by `key` (a Hugging Face ACT2FN name); unknown names are refused. */
export function activationField(c: ConfigFields, key: string, fallback: string): Activation {
  const name = String(c.raw[key] ?? fallback);
  const a = ACTIVATION_NAMES[name];
  if (!a) fail(`config.json: "${key}" is "${name}", which is not supported (${Object.keys(ACTIVATION_NAMES).join(', ')})`);
  return a;
}

/** Rotary settings from either form: top-level fields (`rope_theta`, `rotary_pct`...) or `rope_parameters`. */
export function ropeFields(c: ConfigFields, thetaKeys: string[], thetaDefault: number, fractionKeys: string[], fractionDefault: number): { base: number; fraction: number } {
  const scaling = c.raw.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    const type = typeof scaling === 'object' ? String((scaling as Record<string, unknown>).rope_type ?? (scaling as Record<string, unknown>).type ?? '') : '';
    if (type !== 'default') fail(`config.json: "rope_scaling" (${show(scaling)}) is not supported: only unscaled rotary embeddings are implemented`);
  }
  const params = c.raw.rope_parameters;
  let base: unknown = c.first(...thetaKeys);
  let fraction: unknown = c.first(...fractionKeys);
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) fail('config.json: "rope_parameters" must be an object');
    const p = params as Record<string, unknown>;
    const type = p.rope_type ?? 'default';
    if (type !== 'default') fail(`config.json: "rope_parameters.rope_type" is "${String(type)}"; only "default" (unscaled) rotary embeddings are implemented`);
    base = p.rope_theta ?? base;
    fraction = p.partial_rotary_factor ?? fraction;
  }
  base ??= thetaDefault;
  fraction ??= fractionDefault;
  if (typeof base !== 'number' || !(base > 0)) fail(`config.json: the rotary base (${thetaKeys[0]}) must be a positive number (got ${show(base)})`);
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) fail(`config.json: the rotary fraction (${fractionKeys[0] ?? 'partial_rotary_factor'}) must be in (0, 1] (got ${show(fraction)})`);
  return { base, fraction };
}

/** Checks that a field the engine does not implement is absent or has its neutral value. */
export function refuseUnless(c: ConfigFields, key: string, ok: (v: unknown) => boolean, why: string): void {
  const v = c.raw[key];
  if (v !== undefined && v !== null && !ok(v)) fail(`config.json: "${key}" is ${show(v)}: ${why}`);
}

/** Query heads per key/value head must be whole. */
export function checkHeads(nHead: number, nKv: number, key: string): void {
  if (nHead % nKv !== 0) fail(`config.json: "${key}" ${nKv} does not divide the ${nHead} attention heads`);
}
