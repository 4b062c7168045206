/**
 * Head types from attention patterns alone (`blocks.L.attn.hook_pattern`), as researchers label heads in
 * TransformerLens: the previous-token score (mean attention from each position to the one before it) and the
 * induction score (at positions whose token occurred earlier, the attention on the positions right after those
 * earlier occurrences). Independent of any attribution method, so it can check them.
 */
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';

export interface PatternSequence {
  ids: number[];
  /** Positions at which induction applies (the current token occurred earlier); all such positions if absent. */
  repeated?: number[];
}

export interface HeadPatternScores {
  /** [layer][head] mean attention on the previous position, over positions 1..T−1 and sequences. */
  prevToken: number[][];
  /** [layer][head] mean attention on positions that follow earlier occurrences of the current token. */
  induction: number[][];
  /** [layer][head] mean attention on the current position itself. */
  self: number[][];
}

/** Positions t whose token occurred at some j < t (where an induction head has something to attend to). */
export function recurringPositions(ids: number[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  ids.forEach((id, t) => {
    if (seen.has(id)) out.push(t);
    seen.add(id);
  });
  return out;
}

export async function headPatternScores(model: Model, seqs: PatternSequence[]): Promise<HeadPatternScores> {
  const { nLayer: L, nHead: H } = model.config;
  const grid = () => Array.from({ length: L }, () => new Array<number>(H).fill(0));
  const out: HeadPatternScores = { prevToken: grid(), induction: grid(), self: grid() };
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  for (const s of seqs) {
    const T = s.ids.length;
    const rep = (s.repeated ?? recurringPositions(s.ids)).filter((t) => t > 0 && t < T);
    const r = await runModel(model, { inputIds: [s.ids], capture: hooks, logits: 'none' });
    for (let l = 0; l < L; l++) {
      const p = r.activations[hooks[l]].data;
      for (let h = 0; h < H; h++) {
        let prev = 0;
        let self = 0;
        for (let t = 1; t < T; t++) {
          prev += p[(h * T + t) * T + t - 1];
          self += p[(h * T + t) * T + t];
        }
        out.prevToken[l][h] += T > 1 ? prev / (T - 1) / seqs.length : 0;
        out.self[l][h] += T > 1 ? self / (T - 1) / seqs.length : 0;
        let ind = 0;
        for (const t of rep) {
          let mass = 0;
          for (let j = 1; j <= t; j++) if (s.ids[j - 1] === s.ids[t]) mass += p[(h * T + t) * T + j];
          ind += mass;
        }
        out.induction[l][h] += rep.length ? ind / rep.length / seqs.length : 0;
      }
    }
  }
  return out;
}
