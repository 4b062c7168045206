/** `pathlight attribute`: per-node attribution of a target (act, grad, gxa, ig, ablate) as JSON. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attribute, METHODS, type Method } from '../../analysis/attribution';
import { IG_GAP_WARN } from '../../analysis/ig';
import type { Reference } from '../../analysis/means';
import { meansRecord, readReference } from '../common';
import { referenceMeans } from '../../analysis/means';
import type { PositionSpec } from '../../analysis/scores';
import { TARGET_KINDS } from '../../analysis/targets';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import { resolveModelDir } from '../../engine/node-load';
import type { Target } from '../../engine/types';
import { allowFlags, flag, numberFlag, requireFlag, type Args } from '../args';
import { openModel, outputName, parseToken, promptInput, setupBackend } from '../common';
import { outputPosition } from '../../engine/inputs';

export const ATTRIBUTE_USAGE =
  'attribute --model M (--text T | --ids 1,2,3 | --image FILE) --target TOK|CLASS [--distractor TOK] [--target-kind logit|logit_diff|logprob] [--position P] --method act|grad|gxa|ig|ablate [--steps m|auto] [--layer L] [--positions last|all|P] [--kinds neuron,head] [--ablation zero|mean [--reference FILE]]';

/** `--positions last|all|P` (default: the target position). */
export function positionsFlag(args: Args, T: number): PositionSpec {
  const raw = flag(args, 'positions');
  if (raw === undefined || raw === 'target') return 'target';
  if (raw === 'last') return T - 1;
  if (raw === 'all') return 'all';
  const p = Number(raw);
  if (!Number.isInteger(p) || p < 0 || p >= T) fail(`--positions: "${raw}" is not last, all or a position 0..${T - 1}`);
  return p;
}

/**
 * `--target TOK [--distractor TOK] [--target-kind K] [--position P]`: TOK is a single-token string or #ID; for a
 * vision model a class (index or label), read at [CLS] (position 0, the only one).
 */
export function targetFlags(args: Args, model: Model, T: number): Target {
  const token = parseToken(requireFlag(args, 'target'), model, '--target');
  const d = flag(args, 'distractor');
  const out = outputPosition(model.config, T);
  const position = model.config.vision ? numberFlag(args, 'position', out, { integer: true, min: out, max: out }) : numberFlag(args, 'position', T - 1, { integer: true, min: 0, max: T - 1 });
  const kind = flag(args, 'target-kind') ?? (d ? 'logit_diff' : 'logit');
  if (!(TARGET_KINDS as readonly string[]).includes(kind)) fail(`--target-kind: "${kind}" is not one of ${TARGET_KINDS.join(', ')}`);
  if (kind === 'logit_diff' && !d) fail('--target-kind logit_diff needs --distractor');
  if (kind !== 'logit_diff' && d) fail(`--distractor is only used with --target-kind logit_diff (got ${kind})`);
  return { kind: kind as Target['kind'], token, position, distractor: d ? parseToken(d, model, '--distractor') : undefined };
}

export const jsonTensor = (t: { shape: number[]; data: Float32Array }) => ({ shape: t.shape, data: Array.from(t.data) });

/** Opens the backend and the model, runs `f`, disposes the model; the result carries the backend's name. */
export async function withModel<T extends object>(args: Args, f: (m: Model) => Promise<T>): Promise<T & { backend: string }> {
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    return { backend, ...(await f(model)) };
  } finally {
    model.dispose();
  }
}

export function targetJson(model: Model, t: Target & { position: number }, value: number) {
  const name = (id: number) => outputName(model, id);
  return { ...t, value, token_string: name(t.token), ...(t.distractor !== undefined ? { distractor_string: name(t.distractor) } : {}) };
}

export async function attributeCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'image', 'backend', 'target', 'distractor', 'target-kind', 'position', 'method', 'steps', 'layer', 'positions', 'kinds', 'ablation', 'reference']);
  return withModel(args, async (model) => {
    const { input, T, json } = await promptInput(args, model);
    const method = (flag(args, 'method') ?? 'gxa') as Method;
    if (!METHODS.includes(method)) fail(`--method: "${method}" is not one of ${METHODS.join(', ')}`);
    const layer = flag(args, 'layer') === undefined ? undefined : numberFlag(args, 'layer', 0, { integer: true, min: 0, max: model.config.nLayer - 1 });
    const kinds = (flag(args, 'kinds') ?? 'neuron,head').split(',').filter((s) => s !== '');
    for (const k of kinds) if (k !== 'neuron' && k !== 'head') fail(`--kinds: "${k}" is not neuron or head`);
    const ablation = flag(args, 'ablation') ?? 'zero';
    if (ablation !== 'zero' && ablation !== 'mean') fail(`--ablation: "${ablation}" is not zero or mean`);
    if (flag(args, 'reference') !== undefined && ablation !== 'mean') fail('--reference is only used with --ablation mean');
    let means;
    let reference: Reference | undefined;
    if (method === 'ablate' && ablation === 'mean') {
      if (model.config.vision) fail(`--ablation mean takes its means from a reference text; model "${model.name}" reads images`);
      reference = readReference(args, model, '--ablation mean');
      const L = model.config.nLayer;
      const hooks = Array.from({ length: L }, (_, l) => [`blocks.${l}.mlp.hook_post`, `blocks.${l}.attn.hook_z`]).flat();
      means = await referenceMeans(model, hooks, reference);
    }
    // --steps auto: IG from 20 steps, doubled until every hook's completeness gap is at most 5%.
    const auto = flag(args, 'steps') === 'auto';
    if (auto && method !== 'ig') fail('--steps auto is only used with --method ig');
    const r = await attribute(model, {
      ids: input,
      target: targetFlags(args, model, T),
      method,
      steps: auto ? 20 : numberFlag(args, 'steps', 20, { integer: true, min: 1, max: 1024 }),
      maxGap: auto ? IG_GAP_WARN : undefined,
      layer,
      positions: positionsFlag(args, T),
      kinds: kinds as Array<'neuron' | 'head'>,
      ablation,
      means,
    });
    return {
      ...json,
      target: targetJson(model, r.target, r.targetValue),
      method: r.method,
      ...(method === 'ig' ? { steps: r.steps, completeness: r.completeness, warnings: r.warnings } : {}),
      ...(method === 'ablate' ? { ablation, ...(reference ? meansRecord(reference) : {}) } : {}),
      scores: Object.fromEntries(Object.entries(r.scores).map(([h, t]) => [h, jsonTensor(t)])),
    };
  });
}
