/** `pathlight dla` (direct logit attribution of every head and neuron) and `pathlight lens` (the logit lens), as JSON. */
import { directLogitAttribution, logitLens } from '../../analysis/dla';
import { allowFlags, type Args } from '../args';
import { promptIds } from '../common';
import { jsonTensor, withModel } from './attribute';
import { metricFlags } from './patch';

export const DLA_USAGE = 'dla --model M (--text T | --ids 1,2,3) --target TOK|#ID [--distractor TOK|#ID] [--metric logit|logit_diff]';
export const LENS_USAGE = 'lens --model M (--text T | --ids 1,2,3) --target TOK|#ID [--distractor TOK|#ID] [--metric logit|logit_diff|logprob]';

const FLAGS = ['model', 'ids', 'text', 'backend', 'target', 'distractor', 'metric'];
const list = (a: ArrayLike<number>) => Array.from(a);

export async function dlaCommand(args: Args): Promise<unknown> {
  allowFlags(args, FLAGS);
  return withModel(args, async (model) => {
    const ids = promptIds(args, model);
    const m = metricFlags(args, model);
    const r = await directLogitAttribution(model, { ids, ...m });
    return {
      input_ids: ids,
      metric: r.metric,
      target: m.target,
      ...(m.distractor !== undefined ? { distractor: m.distractor } : {}),
      linearised: 'the final norm\'s scale 1/std (1/rms) is frozen at its value on the run; centering, unembedding and the metric are linear',
      values: list(r.values),
      scale: list(r.scale),
      scores: Object.fromEntries(Object.entries(r.scores).map(([h, t]) => [h, jsonTensor(t)])),
      terms: Object.fromEntries(Object.entries(r.terms).map(([k, t]) => [k, list(t)])),
      reconstruction: list(r.reconstruction),
    };
  });
}

export async function lensCommand(args: Args): Promise<unknown> {
  allowFlags(args, FLAGS);
  return withModel(args, async (model) => {
    const ids = promptIds(args, model);
    const m = metricFlags(args, model);
    const r = await logitLens(model, { ids, ...m });
    const name = (id: number) => model.tokenizer?.tokenString(id) ?? `#${id}`;
    return {
      input_ids: ids,
      metric: r.metric,
      target: m.target,
      ...(m.distractor !== undefined ? { distractor: m.distractor } : {}),
      hooks: r.hooks,
      values: Object.fromEntries(r.hooks.map((h) => [h, list(r.values[h])])),
      top: Object.fromEntries(r.hooks.map((h) => [h, r.top[h].map((id) => ({ id, token: name(id) }))])),
      final: list(r.final),
    };
  });
}
