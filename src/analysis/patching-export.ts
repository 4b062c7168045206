/**
 * Patching results (patching.ts's PatchResult) as CSV and as JSON, for exports and overlays; plain data, no tfjs.
 * CSV rows are `hook,layer,position,unit,node,score` for every patched position and unit (node: the NodeId of a
 * neuron or head, empty for residual and MLP-output vectors), after `#` lines naming the metric and the prompts.
 */
import { nodeFromHook, formatNodeId } from '../engine/nodeid';
import type { PatchResult } from './patching';

export interface PatchExportContext {
  model?: string;
  clean?: number[];
  corrupted?: number[];
}

const layerOf = (hook: string) => Number(/^blocks\.(\d+)\./.exec(hook)?.[1] ?? -1);

export function patchingCsv(r: PatchResult, ctx: PatchExportContext = {}): string {
  const head = [
    `# patching ${r.method} (${r.direction}), metric ${r.metric} of token ${r.target}${r.distractor !== undefined ? ` vs ${r.distractor}` : ''}: clean ${r.cleanMetric}, corrupted ${r.corruptedMetric}`,
    ...(ctx.model ? [`# model ${ctx.model}`] : []),
    ...(ctx.clean ? [`# clean ${ctx.clean.join(' ')}`] : []),
    ...(ctx.corrupted ? [`# corrupted ${ctx.corrupted.join(' ')}`] : []),
    'hook,layer,position,unit,node,score',
  ];
  const rows: string[] = [];
  for (const [h, s] of Object.entries(r.scores)) {
    const N = s.shape[1];
    for (const p of r.positions) {
      for (let n = 0; n < N; n++) {
        const ref = nodeFromHook(h, n, p);
        rows.push(`${h},${layerOf(h)},${p},${n},${ref ? formatNodeId(ref) : ''},${s.data[p * N + n]}`);
      }
    }
  }
  return [...head, ...rows].join('\n') + '\n';
}

export function patchingJson(r: PatchResult, ctx: PatchExportContext = {}) {
  return {
    ...ctx,
    metric: r.metric,
    method: r.method,
    direction: r.direction,
    target: r.target,
    ...(r.distractor !== undefined ? { distractor: r.distractor } : {}),
    clean_metric: r.cleanMetric,
    corrupted_metric: r.corruptedMetric,
    positions: r.positions,
    scores: Object.fromEntries(Object.entries(r.scores).map(([h, s]) => [h, { shape: s.shape, data: Array.from(s.data) }])),
  };
}
