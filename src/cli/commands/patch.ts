/** `pathlight patch`: activation patching (exact), attribution patching (atp) and relevance patching (relp) on a clean/corrupted pair. */
import { ALL_PATCH_HOOK_KINDS, PATCH_HOOK_KINDS, PATCH_METHODS, PATCH_METRICS, patch, type PatchHookKind, type PatchMethod, type PatchMetric, type PatchResult } from '../../analysis/patching';
import { fail } from '../../engine/errors';
import { hookInfo } from '../../engine/hooks';
import type { Model } from '../../engine/model';
import { allowFlags, flag, requireFlag, type Args } from '../args';
import { parseToken } from '../common';
import { jsonTensor, withModel } from './attribute';

export const PATCH_USAGE =
  'patch --model M (--clean TEXT | --clean-ids IDS) (--corrupted TEXT | --corrupted-ids IDS) --target TOK|#ID [--distractor TOK|#ID] [--metric logit|logit_diff|logprob] --method exact|atp|relp [--direction denoising|noising] [--hooks mlp,heads,resid,mlp_out] [--layers L,...] [--positions all|last|P] [--format json|csv]';

/** Token ids from `--NAME TEXT` (through the tokenizer) or `--NAME-ids 1,2,3`; exactly one of the two. */
export function promptFrom(args: Args, model: Model, name: string): number[] {
  const text = flag(args, name);
  const raw = flag(args, `${name}-ids`);
  if ((text === undefined) === (raw === undefined)) fail(`give exactly one of --${name} "..." or --${name}-ids 1,2,3`);
  let ids: number[];
  if (raw !== undefined) {
    ids = raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v)) fail(`--${name}-ids: "${s}" is not an integer token id`);
      return v;
    });
  } else {
    if (!model.tokenizer) fail(`model "${model.name}" has no tokenizer.json; give --${name}-ids`);
    ids = model.tokenizer.encode(text!);
  }
  if (ids.length === 0) fail(`--${name}: the prompt is empty`);
  const V = model.config.vocabSize;
  for (const id of ids) if (id < 0 || id >= V) fail(`--${name}: token id ${id} is outside the vocabulary (0..${V - 1})`);
  if (ids.length > model.config.nCtx) fail(`--${name}: the prompt is ${ids.length} tokens long, longer than the model's context of ${model.config.nCtx} tokens`);
  return ids;
}

/** `--metric` (default logit_diff with a distractor, else logit), `--target`, `--distractor`. */
export function metricFlags(args: Args, model: Model): { metric: PatchMetric; target: number; distractor?: number } {
  const target = parseToken(requireFlag(args, 'target'), model, '--target');
  const d = flag(args, 'distractor');
  const metric = (flag(args, 'metric') ?? (d !== undefined ? 'logit_diff' : 'logit')) as PatchMetric;
  if (!(PATCH_METRICS as readonly string[]).includes(metric)) fail(`--metric: "${metric}" is not one of ${PATCH_METRICS.join(', ')}`);
  if (metric === 'logit_diff' && d === undefined) fail('--metric logit_diff needs --distractor');
  if (metric !== 'logit_diff' && d !== undefined) fail(`--distractor is only used with --metric logit_diff (got ${metric})`);
  return { metric, target, distractor: d === undefined ? undefined : parseToken(d, model, '--distractor') };
}

/** `hook,layer,position,unit,score` rows for every patched position and unit. */
export function patchCsv(r: PatchResult, model: Model): string {
  const rows = ['hook,layer,position,unit,score'];
  for (const [h, s] of Object.entries(r.scores)) {
    const layer = hookInfo(h, model.config).layer;
    const N = s.shape[1];
    for (const p of r.positions) for (let n = 0; n < N; n++) rows.push(`${h},${layer},${p},${n},${s.data[p * N + n]}`);
  }
  return rows.join('\n') + '\n';
}

export async function patchCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'clean', 'clean-ids', 'corrupted', 'corrupted-ids', 'backend', 'target', 'distractor', 'metric', 'method', 'direction', 'hooks', 'layers', 'positions', 'format']);
  const format = flag(args, 'format') ?? 'json';
  if (format !== 'json' && format !== 'csv') fail(`--format: "${format}" is not json or csv`);
  const method = requireFlag(args, 'method') as PatchMethod;
  if (!(PATCH_METHODS as readonly string[]).includes(method)) fail(`--method: "${method}" is not one of ${PATCH_METHODS.join(', ')}`);
  const direction = flag(args, 'direction') ?? 'denoising';
  if (direction !== 'denoising' && direction !== 'noising') fail(`--direction: "${direction}" is not denoising or noising`);
  const hooks = (flag(args, 'hooks') ?? PATCH_HOOK_KINDS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of hooks) if (!(ALL_PATCH_HOOK_KINDS as readonly string[]).includes(k)) fail(`--hooks: "${k}" is not one of ${ALL_PATCH_HOOK_KINDS.join(', ')}`);
  let out: PatchResult | null = null;
  let csv = '';
  const json = await withModel(args, async (model) => {
    const clean = promptFrom(args, model, 'clean');
    const corrupted = promptFrom(args, model, 'corrupted');
    const T = clean.length;
    const rawPos = flag(args, 'positions') ?? 'all';
    let positions: 'all' | 'last' | number;
    if (rawPos === 'all' || rawPos === 'last') positions = rawPos;
    else {
      positions = Number(rawPos);
      if (!Number.isInteger(positions) || positions < 0 || positions >= T) fail(`--positions: "${rawPos}" is not all, last or a position 0..${T - 1}`);
    }
    const layersRaw = flag(args, 'layers');
    const layers = layersRaw === undefined ? undefined : layersRaw.split(',').filter((s) => s !== '').map((s) => {
      const l = Number(s);
      if (!Number.isInteger(l) || l < 0 || l >= model.config.nLayer) fail(`--layers: "${s}" is not a layer 0..${model.config.nLayer - 1}`);
      return l;
    });
    const m = metricFlags(args, model);
    const r = await patch(model, { clean, corrupted, ...m, method, direction: direction as 'denoising' | 'noising', hooks: hooks as PatchHookKind[], layers, positions });
    out = r;
    if (format === 'csv') csv = patchCsv(r, model);
    return {
      metric: r.metric,
      clean_metric: r.cleanMetric,
      corrupted_metric: r.corruptedMetric,
      method: r.method,
      direction: r.direction,
      target: r.target,
      ...(r.distractor !== undefined ? { distractor: r.distractor } : {}),
      clean_ids: clean,
      corrupted_ids: corrupted,
      positions: r.positions,
      scores: Object.fromEntries(Object.entries(r.scores).map(([h, t]) => [h, jsonTensor(t)])),
    };
  });
  // A string is printed as it is (main.ts): the CSV rows.
  return format === 'csv' && out ? csv : json;
}
