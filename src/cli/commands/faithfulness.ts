/** `pathlight faithfulness`: the NeuronPath manipulation experiment over a file of prompts, as JSON. */
import { readFileSync } from 'node:fs';
import { faithfulness, type FaithfulnessPrompt } from '../../analysis/faithfulness';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import { allowFlags, flag, numberFlag, requireFlag, type Args } from '../args';
import { parseToken } from '../common';
import { withModel } from './attribute';

export const FAITHFULNESS_USAGE =
  'faithfulness --model M --prompts FILE [--steps m] [--limit n] [--seed s] [--target-kind logit|logprob] [--joint layer|exact] [--random-paths R]  (FILE: one prompt per line, optionally TAB and the target TOK; without a tokenizer, ids separated by commas)';

/** One prompt per non-empty line; `PROMPT<TAB>TOK` fixes the target, otherwise it is the model's top-1 token. */
export function readPromptFile(text: string, model: Model): FaithfulnessPrompt[] {
  const out: FaithfulnessPrompt[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const tab = line.lastIndexOf('\t');
    const prompt = tab >= 0 ? line.slice(0, tab) : line;
    let ids: number[];
    if (model.tokenizer) ids = model.tokenizer.encode(prompt);
    else {
      ids = prompt.split(/[\s,]+/).filter((s) => s !== '').map(Number);
      if (ids.some((x) => !Number.isInteger(x) || x < 0 || x >= model.config.vocabSize)) fail(`--prompts: line ${i + 1} is not a list of token ids (the model has no tokenizer)`);
    }
    ids = ids.slice(-model.config.nCtx);
    if (ids.length === 0) fail(`--prompts: line ${i + 1} is empty after tokenizing`);
    out.push({ ids, token: tab >= 0 ? parseToken(line.slice(tab + 1), model, `--prompts line ${i + 1}`) : undefined });
  });
  return out;
}

export async function faithfulnessCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'prompts', 'backend', 'steps', 'seed', 'limit', 'target-kind', 'joint', 'random-paths']);
  return withModel(args, async (model) => {
    const file = requireFlag(args, 'prompts');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      fail(`--prompts: cannot read ${file}`);
    }
    const all = readPromptFile(text, model);
    if (all.length === 0) fail(`--prompts: ${file} holds no prompts`);
    const prompts = all.slice(0, numberFlag(args, 'limit', all.length, { integer: true, min: 1 }));
    const kind = flag(args, 'target-kind') ?? 'logit';
    if (kind !== 'logit' && kind !== 'logprob') fail(`--target-kind: "${kind}" is not logit or logprob`);
    const joint = flag(args, 'joint') ?? 'layer';
    if (joint !== 'layer' && joint !== 'exact') fail(`--joint: "${joint}" is not layer or exact`);
    const r = await faithfulness(model, prompts, {
      steps: numberFlag(args, 'steps', 20, { integer: true, min: 1, max: 1024 }),
      seed: numberFlag(args, 'seed', 1, { integer: true }),
      targetKind: kind,
      joint,
      randomPaths: numberFlag(args, 'random-paths', 20, { integer: true, min: 0, max: 1000 }),
    });
    return { prompts: prompts.length, target_kind: kind, joint, summary: r.summary, paired: r.paired, random: r.random, rows: r.rows };
  });
}
