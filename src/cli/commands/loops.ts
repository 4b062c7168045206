import { linePrompts, spreadWindows } from '../../analysis/generate';
import { findLoopingPrompts, loopNeuronSweep, type LoopOp, type LoopSweepReport } from '../../analysis/loops';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import { formatNodeId } from '../../engine/nodeid';
import { allowFlags, flag, numberFlag, type Args } from '../args';
import { openModel, setupBackend } from '../common';
import { langsFlag, readLangTexts } from './lape';

export const LOOPS_USAGE =
  'loops --model M [--data DIR] [--langs en,de,es,it] [--candidates-per-lang N] [--prompt-tokens N] [--max-tokens N] [--threshold R] [--candidates K] [--random R] [--ops zero,flip] [--heldout N] [--max-prompts N] [--seed S] [--backend cpu|wasm|webgpu]';

export interface LoopRun {
  report: LoopSweepReport;
  candidates: number;
  looping: number;
  sweepPrompts: number;
  testPrompts: number;
}

/** Candidate prompts from the val lines of every language; looping ones split alternately into sweep and test sets. */
export async function runLoopSweep(
  model: Model,
  o: {
    dataDir: string;
    langs: string[];
    perLang: number;
    promptTokens: number;
    maxTokens: number;
    threshold: number;
    candidates: number;
    random: number;
    ops: LoopOp[];
    heldOut: number;
    seed: number;
    /** At most this many sweep prompts and this many test prompts (default: all). */
    maxPrompts?: number;
    onProgress?: (d: number, t: number) => void;
  },
): Promise<LoopRun> {
  const tok = model.tokenizer;
  if (!tok) fail(`model "${model.name}" has no tokenizer; the loop sweep reads prompts from text`);
  const val = readLangTexts(o.dataDir, o.langs, 'val');
  const cands = o.langs.flatMap((l) => linePrompts(val[l], (s) => tok.encode(s), o.perLang, o.promptTokens));
  if (cands.length === 0) fail('no validation line is long enough for a prompt');
  const found = await findLoopingPrompts(model, { candidates: cands, maxTokens: o.maxTokens, threshold: o.threshold });
  const looping = found.looping.map((i) => cands[i]);
  if (looping.length < 2) fail(`only ${looping.length} of ${cands.length} prompts loop (repeated 4-gram rate ≥ ${o.threshold}); lower --threshold or raise --max-tokens`);
  const cap = o.maxPrompts ?? Infinity;
  const sweep = looping.filter((_, i) => i % 2 === 0).slice(0, cap);
  const test = looping.filter((_, i) => i % 2 === 1).slice(0, cap);
  // Held-out loss on the ends of the val texts (windows of n_ctx + 1 tokens).
  const heldOut = o.langs.flatMap((l) => spreadWindows(tok.encode(val[l].slice(-40_000)), model.config.nCtx + 1, o.heldOut));
  const report = await loopNeuronSweep(
    model,
    { prompts: sweep, testPrompts: test, heldOut, maxTokens: o.maxTokens, candidates: o.candidates, randomBaseline: o.random, ops: o.ops, seed: o.seed },
    { onProgress: o.onProgress },
  );
  return { report, candidates: cands.length, looping: looping.length, sweepPrompts: sweep.length, testPrompts: test.length };
}

const nid = (n: { layer: number; index: number }) => formatNodeId({ kind: 'neuron', layer: n.layer, index: n.index, position: null });

/** `pathlight loops`: the single neuron whose ablation or sign flip most reduces repetition in greedy generation. */
export async function loopsCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'backend', 'data', 'langs', 'candidates-per-lang', 'prompt-tokens', 'max-tokens', 'threshold', 'candidates', 'random', 'ops', 'heldout', 'max-prompts', 'seed']);
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    const ops = (flag(args, 'ops') ?? 'zero,flip').split(',').map((s) => s.trim()) as LoopOp[];
    for (const op of ops) if (op !== 'zero' && op !== 'flip') fail(`--ops: "${op}" is not zero or flip`);
    const run = await runLoopSweep(model, {
      dataDir: flag(args, 'data') ?? 'data/polyglot',
      langs: langsFlag(args),
      perLang: numberFlag(args, 'candidates-per-lang', 24, { integer: true, min: 1 }),
      promptTokens: numberFlag(args, 'prompt-tokens', 24, { integer: true, min: 1, max: model.config.nCtx }),
      maxTokens: numberFlag(args, 'max-tokens', 64, { integer: true, min: 4, max: 4096 }),
      threshold: numberFlag(args, 'threshold', 0.5, { min: 0, max: 1 }),
      candidates: numberFlag(args, 'candidates', 8, { integer: true, min: 1 }),
      random: numberFlag(args, 'random', 8, { integer: true, min: 0 }),
      ops,
      heldOut: numberFlag(args, 'heldout', 8, { integer: true, min: 1 }),
      maxPrompts: numberFlag(args, 'max-prompts', 16, { integer: true, min: 1 }),
      seed: numberFlag(args, 'seed', 1, { integer: true }),
    });
    const r = run.report;
    const tok = model.tokenizer!;
    const trial = (t: { neuron: { layer: number; index: number }; op: LoopOp; rate: number; score: number | null }) => ({ neuron: nid(t.neuron), op: t.op, rate: t.rate, score: t.score });
    return {
      backend,
      model: model.name,
      candidates: run.candidates,
      looping: run.looping,
      sweep_prompts: run.sweepPrompts,
      test_prompts: run.testPrompts,
      max_tokens: r.maxTokens,
      clean_rate: r.cleanRate,
      best: trial(r.best),
      best_random: r.bestRandom ? trial(r.bestRandom) : null,
      trials: r.trials.map(trial),
      random: r.random.map(trial),
      test: r.test,
      loss: r.loss,
      examples: r.examples.map((e) => ({ prompt: tok.decode(e.prompt), clean: tok.decode(e.clean), edited: tok.decode(e.edited), clean_rate: e.cleanRate, edited_rate: e.editedRate })),
    };
  } finally {
    model.dispose();
  }
}
