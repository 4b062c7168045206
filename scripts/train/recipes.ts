/** Training recipes for the bundled models. Node-only (reads data/polyglot). */
import { readFileSync } from 'node:fs';
import { charTokenizerJson } from '../../src/engine/char-tokenizer';
import type { ModelConfig } from '../../src/engine/types';
import type { Weights } from '../../src/engine/weights';
import { inductionAccuracy, windowLoss } from '../../src/train/evaluate';
import { INDUCTION_CHARS, inductionEvalSet, inductionSequence } from '../../src/train/induction-data';
import type { Rng } from '../../src/analysis/rng';
import { POLYGLOT_LANGS, charEncoder, evalWindows, sampleTextBatch } from '../../src/train/text-data';
import type { Batch, TrainSettings } from '../../src/train/trainer';
import { gpt2Config } from '../../src/engine/arch/gpt2';

export interface Recipe {
  name: string;
  description: string;
  config: ModelConfig;
  tokenizer: object;
  settings: TrainSettings;
  sample(rng: Rng): Batch;
  evaluate(w: Weights): Promise<Record<string, number>>;
  /** The metric plotted as held-out loss. */
  heldOutKey: string;
  /** Ends training early once an evaluation satisfies it. */
  stopWhen?(metrics: Record<string, number>): boolean;
}

const gpt2 = gpt2Config;

export function polyglotData(dir = 'data/polyglot') {
  const chars: string[] = JSON.parse(readFileSync(`${dir}/chars.json`, 'utf8'));
  const enc = charEncoder(chars);
  const train = POLYGLOT_LANGS.map((l) => enc(readFileSync(`${dir}/${l}.train.txt`, 'utf8')));
  const val = POLYGLOT_LANGS.map((l) => enc(readFileSync(`${dir}/${l}.val.txt`, 'utf8')));
  return { chars, enc, train, val, vocabSize: chars.length + 1 };
}

/** Held-out windows per language used for the model card's figures (and recomputed by the tests). */
export const POLYGLOT_EVAL_WINDOWS = 48;

export function polyglotRecipe(tiny: boolean): Recipe {
  const d = polyglotData();
  const config = tiny
    ? gpt2({ nLayer: 1, nHead: 2, dModel: 32, vocabSize: d.vocabSize, nCtx: 32 })
    : gpt2({ nLayer: 4, nHead: 4, dModel: 128, vocabSize: d.vocabSize, nCtx: 128 });
  const T = config.nCtx;
  const windows = d.val.map((c) => evalWindows(c, T, tiny ? 4 : POLYGLOT_EVAL_WINDOWS));
  return {
    name: 'polyglot',
    description: 'Character-level GPT-2 trained on English, German, Spanish and Italian fortunes.',
    config,
    tokenizer: charTokenizerJson(d.chars),
    settings: tiny
      ? { steps: 40, batch: 8, lr: 3e-3, warmup: 5, minRatio: 0.1, weightDecay: 0.1, clip: 1, seed: 1, evalEvery: 20, checkpointEvery: 20 }
      : // Two cosine cycles (a warm restart at step 1600, peak 1e-3): 1600 + 2400 steps.
        { steps: 4000, batch: 16, lr: 2e-3, warmup: 100, minRatio: 0.1, weightDecay: 0.1, clip: 1, seed: 1, evalEvery: 200, checkpointEvery: 100, restarts: [{ at: 1600, peak: 1e-3 }] },
    sample: (rng) => sampleTextBatch(d.train, tiny ? 8 : 16, T, rng),
    async evaluate(w) {
      const out: Record<string, number> = {};
      let sum = 0;
      for (let i = 0; i < POLYGLOT_LANGS.length; i++) {
        out[`val_${POLYGLOT_LANGS[i]}`] = await windowLoss(w, config, windows[i]);
        sum += out[`val_${POLYGLOT_LANGS[i]}`];
      }
      out.val = sum / POLYGLOT_LANGS.length;
      return out;
    },
    heldOutKey: 'val',
  };
}

export const INDUCTION_EVAL_SEQUENCES = 256;

export function inductionRecipe(tiny: boolean): Recipe {
  const V = INDUCTION_CHARS.length;
  const config = tiny ? gpt2({ nLayer: 2, nHead: 2, dModel: 32, vocabSize: V, nCtx: 64 }) : gpt2({ nLayer: 2, nHead: 2, dModel: 64, vocabSize: V, nCtx: 64 });
  const T = config.nCtx;
  // --tiny draws tokens from 8 symbols only, so that its loss visibly falls (ln 65 → ln 8) within a smoke run.
  const symbols = tiny ? 8 : V;
  const evalSet = inductionEvalSet(tiny ? 32 : INDUCTION_EVAL_SEQUENCES, T + 1, symbols);
  const batch = tiny ? 8 : 32;
  return {
    name: 'induction',
    description: 'Two-layer GPT-2 trained on random tokens with a repeated span: a previous-token head (L0.H0) feeding induction heads (layer 1).',
    config,
    tokenizer: charTokenizerJson(INDUCTION_CHARS),
    settings: tiny
      ? { steps: 40, batch, lr: 3e-3, warmup: 5, minRatio: 0.1, weightDecay: 0.01, clip: 1, seed: 2, evalEvery: 20, checkpointEvery: 20 }
      : { steps: 5000, batch, lr: 1e-3, warmup: 100, minRatio: 0.1, weightDecay: 0, clip: 1, seed: 2, evalEvery: 250, checkpointEvery: 250, sinusoidalPositions: 0.1 },
    sample(rng) {
      const x: number[][] = [];
      const y: number[][] = [];
      for (let b = 0; b < batch; b++) {
        const s = inductionSequence(rng, T + 1, symbols);
        x.push(s.ids.slice(0, T));
        y.push(s.ids.slice(1));
      }
      return { x, y };
    },
    async evaluate(w) {
      const acc = await inductionAccuracy(w, config, evalSet);
      const val = await windowLoss(w, config, evalSet.map((s) => s.ids));
      return { acc_repeated: acc.repeated, acc_first: acc.first, val };
    },
    heldOutKey: 'val',
    stopWhen: tiny ? undefined : (m) => m.acc_repeated >= 0.95,
  };
}

export const RECIPES: Record<string, (tiny: boolean) => Recipe> = { polyglot: polyglotRecipe, induction: inductionRecipe };
