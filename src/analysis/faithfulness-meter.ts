/**
 * The faithfulness meter: how well a fast attribution of the nodes on screen predicts their exact effects, on the
 * current prompt. The fast scores (AtP, RelP, grad × act, IG, one per node) come with the request; the exact
 * effect of each node is computed here with the same sign convention:
 * - with a corrupted prompt, exact activation patching (denoising): metric(corrupted run with the node set to its
 *   clean value) − metric(corrupted run), the quantity AtP and RelP approximate (patching.ts);
 * - otherwise zero-ablation: F(x) − F(x with the node zeroed), the quantity grad × act and IG approximate
 *   (attribution.ts: positive = the node supports the target).
 * Then Pearson's r between the two lists and the overlap of their top 10 by |score| (agreement.ts).
 * Nodes are MLP neurons (`blocks.L.mlp.hook_post`) and heads (`blocks.L.attn.hook_z`, the head's d_head vector) at
 * one position each. The runs are suffix runs from each node's position (suffix.ts), batched, with progress per
 * node and cancellation between batches.
 */
import { fail } from '../engine/errors';
import { hookInfo } from '../engine/hooks';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName, Target } from '../engine/types';
import { pearson, topOverlap } from './agreement';
import { betweenSteps, StepBatch, type AnalysisOptions } from './options';
import { patchEdits } from './patching-units';
import { suffixBatch, SuffixRunner, suffixTarget } from './suffix';
import { resolveTarget } from './targets';

export interface MeterNode {
  hook: HookName;
  unit: number;
  position: number;
  /** The fast attribution's score of this node. */
  score: number;
}

export interface FaithfulnessMeterRequest {
  /** The prompt (the clean one when `corrupted` is given). */
  ids: number[];
  /** The metric the fast scores explain (logit, logit_diff or logprob); patching reads it at the last position. */
  target: Target;
  /** The corrupted prompt of a clean/corrupted pair: the reference is then exact patching, else zero-ablation. */
  corrupted?: number[];
  nodes: MeterNode[];
  /** Top-k overlap size; default 10. */
  k?: number;
}

export interface FaithfulnessMeterResult {
  reference: 'patching' | 'ablation';
  /** Per node, in the request's order: the exact effect (same sign convention as the scores). */
  exact: number[];
  /** Pearson's r of scores against exact effects; null when either list is constant or fewer than 2 nodes. */
  pearson: number | null;
  /** Nodes shared by the top k of both lists by |value|. */
  overlap: number;
  k: number;
  n: number;
  /** The metric of the run the effects are measured on (the corrupted run for patching, the prompt for ablation). */
  baseMetric: number;
}

const METER_POINTS = ['mlp.hook_post', 'attn.hook_z'];

export async function faithfulnessMeter(model: Model, req: FaithfulnessMeterRequest, opts: AnalysisOptions = {}): Promise<FaithfulnessMeterResult> {
  const cfg = model.config;
  const { ids, nodes } = req;
  const T = ids.length;
  if (T === 0) fail('faithfulness meter: the prompt is empty');
  if (nodes.length === 0) fail('faithfulness meter: no nodes to compare (run an attribution first)');
  const target = resolveTarget(req.target, T, cfg);
  const patching = req.corrupted !== undefined;
  if (patching) {
    if (req.corrupted!.length !== T) fail(`faithfulness meter: the corrupted prompt has ${req.corrupted!.length} tokens and the prompt ${T}; patching needs the same number`);
    if (target.position !== T - 1) fail(`faithfulness meter: patching reads the metric at the last position (${T - 1}), not at ${target.position}`);
  }
  nodes.forEach((n, i) => {
    const info = (() => {
      try {
        return hookInfo(n.hook, cfg);
      } catch (e) {
        return fail(`faithfulness meter: node ${i} (${n.hook}): ${(e as Error).message}`);
      }
    })();
    if (!METER_POINTS.includes(info.point)) fail(`faithfulness meter: node ${i} is on ${n.hook}; only MLP neurons (mlp.hook_post) and heads (attn.hook_z) are compared`);
    if (!Number.isInteger(n.unit) || n.unit < 0 || n.unit >= info.units) fail(`faithfulness meter: node ${i} has unit ${n.unit}, outside 0..${info.units - 1} of ${n.hook}`);
    if (!Number.isInteger(n.position) || n.position < 0 || n.position >= T) fail(`faithfulness meter: node ${i} is at position ${n.position}, outside the prompt (0..${T - 1})`);
    if (!Number.isFinite(n.score)) fail(`faithfulness meter: node ${i} has a score that is not a finite number (${n.score})`);
  });
  const hooks = [...new Set(nodes.map((n) => n.hook))];
  const layerOf = (h: HookName) => hookInfo(h, cfg).layer;
  // Patching edits the corrupted run with clean values; ablation edits the prompt up to the target's position.
  const base = patching ? req.corrupted! : ids.slice(0, target.position + 1);
  const source = patching ? (await runModel(model, { inputIds: [ids], capture: hooks, logits: 'none' })).activations : null;
  const runner = await SuffixRunner.create(model, base, Math.min(...hooks.map(layerOf)), patching ? hooks : []);
  const tgt = suffixTarget(target);
  const exact = new Array<number>(nodes.length).fill(0);
  try {
    const whole = await runner.run({ edits: [[]], targets: [tgt], start: base.length - 1 });
    const jobs = new Map<number, Array<{ i: number; edits: Edit[] }>>();
    nodes.forEach((n, i) => {
      if (n.position >= base.length) return; // after the target: it cannot change it
      let edits: Edit[];
      if (patching) {
        const { units } = hookInfo(n.hook, cfg);
        const width = n.hook.endsWith('attn.hook_z') ? cfg.dHead : 1;
        const i0 = (n.position * units + n.unit) * width;
        const value = source![n.hook].data.subarray(i0, i0 + width);
        const cur = runner.clean[n.hook].data.subarray(i0, i0 + width);
        if (value.every((v, j) => v === cur[j])) return; // the same value in both prompts: no effect
        edits = patchEdits(n.hook, cfg, n.unit, n.position, value);
      } else {
        edits = [{ hook: n.hook, index: n.unit, op: 'zero', positions: [n.position] }];
      }
      jobs.set(n.position, [...(jobs.get(n.position) ?? []), { i, edits }]);
    });
    const total = nodes.length;
    let done = total - [...jobs.values()].reduce((a, j) => a + j.length, 0);
    opts.onProgress?.(done, total);
    for (const [p, list] of [...jobs].sort((a, b) => a[0] - b[0])) {
      const steps = new StepBatch(suffixBatch(cfg, base.length - p, base.length), opts);
      // Each position's first batch carries an unedited copy: the baseline of the same suffix arithmetic.
      let baseline = NaN;
      for (let s = 0; s < list.length; ) {
        await betweenSteps(opts);
        const chunk = list.slice(s, s + steps.size);
        s += chunk.length;
        const edits = chunk.map((j) => j.edits);
        const first = Number.isNaN(baseline);
        if (first) edits.push([]);
        const r = await steps.time(() => runner.run({ edits, targets: edits.map(() => tgt), start: p }));
        if (first) baseline = r.targetValues[chunk.length];
        chunk.forEach((j, b) => (exact[j.i] = patching ? r.targetValues[b] - baseline : baseline - r.targetValues[b]));
        opts.onProgress?.((done += chunk.length), total);
      }
    }
    const scores = nodes.map((n) => n.score);
    const top = topOverlap(scores, exact, req.k ?? 10);
    return { reference: patching ? 'patching' : 'ablation', exact, pearson: pearson(scores, exact), overlap: top.overlap, k: top.k, n: nodes.length, baseMetric: whole.targetValues[0] };
  } finally {
    runner.dispose();
  }
}
