import { Rng } from './rng';

/** Tokens of the induction task: 64 characters so prompts can be typed. */
export const INDUCTION_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/'];

export interface InductionSequence {
  ids: number[];
  /** Positions whose next token is the continuation of the repeated span (predictable by induction). */
  repeated: number[];
  /** The same positions in the span's first occurrence (not predictable). */
  first: number[];
}

/**
 * Uniform random tokens over `V` in which a span of 6–16 tokens, first seen at s1 ≤ 8, is repeated again and
 * again (separated by 0–3 random tokens) until the sequence ends. Only induction (find the earlier occurrence
 * of the current token, copy what followed it) predicts the repeats; the first occurrence is unpredictable.
 * `repeated[i]` and `first[i]` are corresponding positions (a first-occurrence position appears once per repeat).
 */
export function inductionSequence(rng: Rng, T: number, V: number): InductionSequence {
  const L = 6 + rng.int(11);
  const s1 = rng.int(9);
  const ids = Array.from({ length: T }, () => rng.int(V));
  const repeated: number[] = [];
  const first: number[] = [];
  let pos = s1 + L + rng.int(4);
  while (pos + L <= T) {
    for (let i = 0; i < L; i++) ids[pos + i] = ids[s1 + i];
    for (let i = 0; i < L - 1; i++) {
      repeated.push(pos + i);
      first.push(s1 + i);
    }
    pos += L + rng.int(4);
  }
  return { ids, repeated, first };
}

export function inductionEvalSet(n: number, T: number, V: number, seed = 12345): InductionSequence[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => inductionSequence(rng, T, V));
}
