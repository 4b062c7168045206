/** Array helpers for converting Hugging Face tensors to the canonical layout (src/engine/arch/types.ts). */
import type { Arr, LinearArrays } from './types';

/** An nn.Linear weight [out, in] (rows of several such matrices stacked in order) as the canonical [in, out]. */
export function linearFromRows(parts: Arr[], rowOrder?: (c: number) => number): Arr {
  const nIn = parts[0].shape[1];
  const nOut = parts.reduce((s, p) => s + p.shape[0], 0);
  const rows = parts.length === 1 ? parts[0].data : concat(parts.map((p) => p.data));
  const out = new Float32Array(nIn * nOut);
  for (let c = 0; c < nOut; c++) {
    const r = rowOrder ? rowOrder(c) : c;
    const src = r * nIn;
    for (let i = 0; i < nIn; i++) out[i * nOut + c] = rows[src + i];
  }
  return { data: out, shape: [nIn, nOut] };
}

/** Concatenates vectors (biases of stacked projections), reordered like `linearFromRows`. */
export function vectorFrom(parts: Arr[], order?: (c: number) => number): Arr {
  const all = parts.length === 1 ? parts[0].data : concat(parts.map((p) => p.data));
  if (!order) return { data: all, shape: [all.length] };
  const out = new Float32Array(all.length);
  for (let c = 0; c < all.length; c++) out[c] = all[order(c)];
  return { data: out, shape: [all.length] };
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** nn.Linear weight (and bias) in one step. */
export function linear(weight: Arr, bias?: Arr): LinearArrays {
  return { weight: linearFromRows([weight]), bias };
}
