/** `pathlight attribute`, `pathlight path`, `pathlight faithfulness`. */
import { readFileSync } from 'node:fs';
import { attribute, METHODS, type Method } from '../../analysis/attribution';
import { faithfulness } from '../../analysis/faithfulness';
import { findPath } from '../../analysis/path';
import type { PositionSpec } from '../../analysis/scores';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import type { Target } from '../../engine/types';
import { allowFlags, flag, numberFlag, requireFlag, type Args } from '../args';
import { openModel, parseToken, promptIds, setupBackend } from '../common';

function positions(args: Args, T: number): PositionSpec {
  const raw = flag(args, 'positions') ?? 'target';
  if (raw === 'last' || raw === 'target') return raw === 'last' ? T - 1 : 'target';
  if (raw === 'all') return 'all';
  const p = Number(raw);
  if (!Number.isInteger(p) || p < 0 || p >= T) fail(`--positions: "${raw}" is not last, all or a position 0..${T - 1}`);
  return p;
}

function targetOf(args: Args, model: Model, T: number): Target {
  const token = parseToken(requireFlag(args, 'target'), model, '--target');
  const d = flag(args, 'distractor');
  const position = numberFlag(args, 'position', T - 1, { integer: true, min: 0, max: T - 1 });
  const kind = flag(args, 'target-kind') ?? (d ? 'logit_diff' : 'logit');
  if (!['logit', 'logit_diff', 'logprob'].includes(kind)) fail(`--target-kind: "${kind}" is not logit, logit_diff or logprob`);
  if (kind === 'logit_diff' && !d) fail('--target-kind logit_diff needs --distractor');
  return { kind: kind as Target['kind'], token, position, distractor: d ? parseToken(d, model, '--distractor') : undefined };
}

const jsonTensor = (t: { shape: number[]; data: Float32Array }) => ({ shape: t.shape, data: Array.from(t.data) });

async function withModel<T>(args: Args, f: (m: Model) => Promise<T>): Promise<T> {
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    return { backend, ...(await f(model)) } as T;
  } finally {
    model.dispose();
  }
}

export async function attributeCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'backend', 'target', 'distractor', 'target-kind', 'position', 'method', 'steps', 'layer', 'positions', 'ablation']);
  return withModel(args, async (model) => {
    const ids = promptIds(args, model);
    const method = (flag(args, 'method') ?? 'gxa') as Method;
    if (!METHODS.includes(method)) fail(`--method: "${method}" is not one of ${METHODS.join(', ')}`);
    const layerRaw = flag(args, 'layer');
    const layer = layerRaw === undefined ? undefined : numberFlag(args, 'layer', 0, { integer: true, min: 0, max: model.config.nLayer - 1 });
    void layerRaw;
    const ablation = (flag(args, 'ablation') ?? 'zero') as 'zero' | 'mean';
    if (ablation !== 'zero') fail('--ablation: only zero is available from the CLI (mean needs a reference text)');
    const r = await attribute(model, {
      ids,
      target: targetOf(args, model, ids.length),
      method,
      steps: numberFlag(args, 'steps', 20, { integer: true, min: 1, max: 1024 }),
      layer,
      positions: positions(args, ids.length),
    });
    return {
      input_ids: ids,
      target: { ...r.target, value: r.targetValue, token_string: model.tokenizer?.tokenString(r.target.token) },
      method: r.method,
      scores: Object.fromEntries(Object.entries(r.scores).map(([h, t]) => [h, jsonTensor(t)])),
    };
  });
}

export async function pathCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'backend', 'target', 'distractor', 'target-kind', 'position', 'steps', 'beam', 'seed']);
  return withModel(args, async (model) => {
    const ids = promptIds(args, model);
    const r = await findPath(model, {
      ids,
      target: targetOf(args, model, ids.length),
      steps: numberFlag(args, 'steps', 20, { integer: true, min: 1, max: 1024 }),
      beam: numberFlag(args, 'beam', 1, { integer: true, min: 1, max: 16 }),
      seed: numberFlag(args, 'seed', 1, { integer: true }),
    });
    const { layerScores: _ls, ...rest } = r;
    return { input_ids: ids, ...rest, target: { ...r.target, value: r.targetValue } };
  });
}

export async function faithfulnessCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'prompts', 'backend', 'steps', 'seed', 'limit']);
  return withModel(args, async (model) => {
    const file = requireFlag(args, 'prompts');
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
    } catch {
      fail(`--prompts: cannot read ${file}`);
    }
    const limit = numberFlag(args, 'limit', lines.length, { integer: true, min: 1 });
    const prompts = lines.slice(0, limit).map((l, i) => {
      if (!model.tokenizer) return l.split(/[\s,]+/).map(Number);
      const ids = model.tokenizer.encode(l).slice(-model.config.nCtx);
      if (ids.length === 0) fail(`--prompts: line ${i + 1} is empty after tokenizing`);
      return ids;
    });
    const r = await faithfulness(model, prompts, { steps: numberFlag(args, 'steps', 20, { integer: true, min: 1 }), seed: numberFlag(args, 'seed', 1, { integer: true }) });
    return { prompts: prompts.length, summary: r.summary, rows: r.rows };
  });
}
