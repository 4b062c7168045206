import { Rng } from '../analysis/rng';

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
 * again (separated by 0–3 random tokens) until the sequence ends. Induction (find the earlier occurrence of the
 * current token, copy what followed it) predicts the repeats; nothing predicts the first occurrence. Tokens can
 * also recur by chance (64 symbols), which makes some earlier occurrences misleading — as in real text.
 * With `distinct`, span tokens are distinct and never used as filler (a model trained that way reached 96%
 * without forming induction heads, so the bundled model does not use it).
 * `repeated[i]` and `first[i]` are corresponding positions (a first-occurrence position appears once per repeat).
 */
export function inductionSequence(rng: Rng, T: number, V: number, distinct = false): InductionSequence {
  const L = 6 + rng.int(11);
  const s1 = rng.int(9);
  // The span: L distinct tokens (a partial Fisher–Yates shuffle); filler: the other tokens. Without
  // `distinct`, span and filler tokens are drawn uniformly from all of V (tokens may recur by chance).
  const perm = Array.from({ length: V }, (_, i) => i);
  for (let i = 0; i < L; i++) {
    const j = i + rng.int(V - i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const span = distinct ? perm.slice(0, L) : Array.from({ length: L }, () => rng.int(V));
  const filler = distinct ? perm.slice(L) : perm;
  const ids = Array.from({ length: T }, () => filler[rng.int(filler.length)]);
  for (let i = 0; i < L; i++) ids[s1 + i] = span[i];
  const repeated: number[] = [];
  const first: number[] = [];
  let pos = s1 + L + rng.int(4);
  while (pos + L <= T) {
    for (let i = 0; i < L; i++) ids[pos + i] = span[i];
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
