import { Rng } from '../analysis/rng';

export const POLYGLOT_LANGS = ['en', 'de', 'es', 'it'] as const;
export type Lang = (typeof POLYGLOT_LANGS)[number];

/** Character → id for a character vocabulary (the unknown token last), matching charTokenizerJson. */
export function charEncoder(chars: string[], unk = '\u2047'): (text: string) => Int32Array {
  const ids = new Map<string, number>();
  const all = chars.includes(unk) ? chars : [...chars, unk];
  all.forEach((c, i) => ids.set(c, i));
  const unkId = ids.get(unk)!;
  return (text) => {
    const cps = [...text];
    const out = new Int32Array(cps.length);
    cps.forEach((c, i) => (out[i] = ids.get(c) ?? unkId));
    return out;
  };
}

/** Random windows of T+1 tokens, languages taken in turn so each batch is balanced. */
export function sampleTextBatch(corpora: Int32Array[], B: number, T: number, rng: Rng): { x: number[][]; y: number[][] } {
  const x: number[][] = [];
  const y: number[][] = [];
  for (let b = 0; b < B; b++) {
    const c = corpora[b % corpora.length];
    const start = rng.int(c.length - T - 1);
    const w = Array.from(c.subarray(start, start + T + 1));
    x.push(w.slice(0, T));
    y.push(w.slice(1));
  }
  return { x, y };
}

/** Fixed, non-overlapping evaluation windows from the start of a held-out text. */
export function evalWindows(c: Int32Array, T: number, max: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s + T + 1 <= c.length && out.length < max; s += T + 1) out.push(Array.from(c.subarray(s, s + T + 1)));
  return out;
}

/** Held-out loss (nats/token) of an add-one smoothed bigram model estimated on `train`, over the targets of `windows`. */
export function bigramLoss(train: Int32Array, windows: number[][], V: number): number {
  const counts = new Float64Array(V * V);
  const rows = new Float64Array(V);
  for (let i = 1; i < train.length; i++) {
    counts[train[i - 1] * V + train[i]] += 1;
    rows[train[i - 1]] += 1;
  }
  let total = 0;
  let n = 0;
  for (const w of windows) {
    for (let i = 1; i < w.length; i++) {
      total -= Math.log((counts[w[i - 1] * V + w[i]] + 1) / (rows[w[i - 1]] + V));
      n += 1;
    }
  }
  return total / n;
}
