import { headPatternScores } from '../../analysis/head-patterns';
import { inductionSequence } from '../../train/induction-data';
import { Rng } from '../../analysis/rng';
import { fail } from '../../engine/errors';
import { allowFlags, flag, numberFlag, type Args } from '../args';
import { openModel, promptIds, setupBackend } from '../common';

export const HEADS_USAGE = 'heads --model M [--ids 1,2,3 | --text "..." | --repeated N] [--seed S]';

/**
 * `pathlight heads`: every head's previous-token, self and induction scores from its attention pattern, on a
 * prompt or (default, `--repeated N`) on N seeded random token sequences in which a span repeats.
 */
export async function headsCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'backend', 'repeated', 'seed']);
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    const fromPrompt = flag(args, 'ids') !== undefined || flag(args, 'text') !== undefined;
    let seqs: Array<{ ids: number[]; repeated?: number[] }>;
    let source: Record<string, unknown>;
    if (fromPrompt) {
      const ids = promptIds(args, model);
      seqs = [{ ids }];
      source = { input_ids: ids };
    } else {
      const n = numberFlag(args, 'repeated', 16, { integer: true, min: 1, max: 1000 });
      const seed = numberFlag(args, 'seed', 777, { integer: true });
      const T = model.config.nCtx;
      const rng = new Rng(seed);
      // Random tokens over the whole vocabulary (the induction model's 64 symbols are its whole vocabulary).
      seqs = Array.from({ length: n }, () => {
        const s = inductionSequence(rng, T + 1, model.config.vocabSize);
        return { ids: s.ids.slice(0, T), repeated: s.repeated.filter((t) => t + 1 < T) };
      });
      source = { repeated_sequences: n, seed, tokens: T };
    }
    // Every score compares a position with an earlier one: one token measures nothing.
    const longest = Math.max(...seqs.map((q) => q.ids.length));
    if (longest < 2) fail(fromPrompt ? 'heads: the prompt has one token; the scores need at least 2' : `heads: the model's context is ${model.config.nCtx} token(s); the scores need sequences of at least 2`);
    const s = await headPatternScores(model, seqs);
    const heads = s.prevToken.flatMap((row, l) => row.map((_, h) => ({ layer: l, head: h, prev_token: s.prevToken[l][h], self: s.self[l][h], induction: s.induction[l][h] })));
    return { backend, model: model.name, ...source, heads };
  } finally {
    model.dispose();
  }
}
