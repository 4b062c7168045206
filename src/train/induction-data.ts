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
 * Uniform random tokens over `V`, in which a span of 12 to ⌊T/2⌋ tokens appears twice: first at s1, again
 * at s2 ≥ s1+L.
 */
export function inductionSequence(rng: Rng, T: number, V: number): InductionSequence {
  const L = 12 + rng.int(Math.floor(T / 2) - 11);
  const s1 = rng.int(T - 2 * L + 1);
  const s2 = s1 + L + rng.int(T - s1 - 2 * L + 1);
  const ids = Array.from({ length: T }, () => rng.int(V));
  for (let i = 0; i < L; i++) ids[s2 + i] = ids[s1 + i];
  const repeated: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < L - 1; i++) {
    repeated.push(s2 + i);
    first.push(s1 + i);
  }
  return { ids, repeated, first };
}

export function inductionEvalSet(n: number, T: number, V: number, seed = 12345): InductionSequence[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => inductionSequence(rng, T, V));
}
