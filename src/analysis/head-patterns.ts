/**
 * Head types from attention patterns alone (`blocks.L.attn.hook_pattern`), as researchers label heads in
 * TransformerLens: previous-token, self and induction scores (pattern-scores.ts) per layer and head, averaged over
 * sequences. Independent of any attribution method, so it can check them.
 */
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import { layerPatternScores } from './pattern-scores';

export interface PatternSequence {
  ids: number[];
  /** Positions at which induction applies (the current token occurred earlier); all such positions if absent. */
  repeated?: number[];
}

export interface HeadPatternScores {
  /** [layer][head] mean attention on the previous position. */
  prevToken: number[][];
  /** [layer][head] mean attention on positions that follow earlier occurrences of the current token. */
  induction: number[][];
  /** [layer][head] mean attention on the current position itself. */
  self: number[][];
}

export async function headPatternScores(model: Model, seqs: PatternSequence[]): Promise<HeadPatternScores> {
  const { nLayer: L, nHead: H } = model.config;
  const grid = () => Array.from({ length: L }, () => new Array<number>(H).fill(0));
  const out: HeadPatternScores = { prevToken: grid(), induction: grid(), self: grid() };
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  for (const s of seqs) {
    const r = await runModel(model, { inputIds: [s.ids], capture: hooks, logits: 'none' });
    for (let l = 0; l < L; l++) {
      const one = layerPatternScores(r.activations[hooks[l]].data, H, s.ids, s.repeated);
      for (let h = 0; h < H; h++) {
        out.prevToken[l][h] += one.prevToken[h] / seqs.length;
        out.self[l][h] += one.self[h] / seqs.length;
        out.induction[l][h] += one.induction[h] / seqs.length;
      }
    }
  }
  return out;
}
