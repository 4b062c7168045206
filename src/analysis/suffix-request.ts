/**
 * What a suffix run is asked (src/analysis/suffix.ts): the request and result types, the checks of a request and the
 * first layer it touches, and the batch size and target helpers the analyses use.
 */
import { validateEdit } from '../engine/edits';
import { fail } from '../engine/errors';
import { hookInfo } from '../engine/hooks';
import { isCausal, type Edit, type HookName, type ModelConfig, type TensorData } from '../engine/types';

/**
 * What a suffix run differentiates, per sequence: a next-token quantity read at the last position of the prompt
 * (a vision model's classes, at [CLS]), or one unit of a [T, N] hook summed over some positions (all ≥ start).
 */
export type SuffixTarget =
  | { kind: 'logit' | 'logprob'; token: number }
  | { kind: 'logit_diff'; token: number; distractor: number }
  | { kind: 'activation'; hook: HookName; index: number; positions: number[] };

export interface SuffixRequest {
  /** One edit list per sequence; every edited position must be ≥ start (null positions need start = 0). */
  edits: Edit[][];
  /** One target per sequence (all activation targets or none). */
  targets: SuffixTarget[];
  /** Hooks (tokens or heads layout, blocks only) whose gradients are returned, at positions start..T−1. */
  capture?: HookName[];
  /** First recomputed position. */
  start: number;
  means?: Record<HookName, Float32Array | number[]>;
  /** Also return every output (next-token logits, or a vision model's classes) at the output position, [B, V]. */
  logits?: boolean;
}

export interface SuffixResult {
  targetValues: Float32Array;
  /** d target / d hook (after edits) at positions start..T−1: [B, T − start, ...unit shape]. */
  grads: Record<HookName, TensorData>;
  /** The captured hooks' values (after edits) at positions start..T−1, same shapes as `grads`. */
  activations: Record<HookName, TensorData>;
  /** With `logits`: the outputs at the output position, [B, V]. */
  logits?: TensorData;
}

/** The layer of a hook a suffix run can edit or capture (a block hook of token or head layout). */
function blockHookLayer(h: HookName, cfg: ModelConfig): number {
  const info = hookInfo(h, cfg);
  if (info.layer < 0) fail(`suffix runs start inside the blocks; ${h} is outside them`);
  if (info.layout === 'pattern') fail(`suffix runs do not edit or capture attention patterns (${h})`);
  return info.layer;
}

/** A checked request: the recomputed positions from..T−1 (S of them), B sequences, and the first layer l0 touched. */
export interface SuffixPlan {
  from: number;
  S: number;
  B: number;
  capture: HookName[];
  l0: number;
  editedHooks: Set<HookName>;
  actTargets: boolean;
}

/** Checks a request against the model and a runner of T tokens from `fromLayer`, and finds the first layer it touches. */
export function planSuffixRun(req: SuffixRequest, cfg: ModelConfig, T: number, fromLayer: number): SuffixPlan {
  const { nLayer: L, vocabSize: V } = cfg;
  const start = req.start;
  if (!Number.isInteger(start) || start < 0 || start >= T) fail(`suffix run: start ${start} is outside the prompt (0..${T - 1})`);
  // Positions from `from` on are recomputed: from `start` under causal attention, every one otherwise.
  const causal = isCausal(cfg);
  const from = causal ? start : 0;
  const S = T - from;
  const B = req.edits.length;
  if (B === 0) fail('suffix run: no sequences');
  if (req.targets.length !== B) fail(`suffix run: ${req.targets.length} targets for ${B} sequences`);
  const capture = [...new Set(req.capture ?? [])];

  // The first layer anything happens at.
  let l0 = L;
  const editedHooks = new Set<HookName>();
  for (const set of req.edits) {
    for (const e of set) {
      validateEdit(e, cfg, T);
      l0 = Math.min(l0, blockHookLayer(e.hook, cfg));
      if (causal && (e.positions === null ? start > 0 : e.positions.some((p) => p < start))) fail(`suffix run: an edit on ${e.hook} touches a position before ${start}`);
      editedHooks.add(e.hook);
    }
  }
  for (const h of capture) l0 = Math.min(l0, blockHookLayer(h, cfg));
  const actTargets = req.targets[0].kind === 'activation';
  for (const t of req.targets) {
    if ((t.kind === 'activation') !== actTargets) fail('suffix run: activation targets cannot be mixed with logit targets');
    if (t.kind === 'activation') {
      const info = hookInfo(t.hook, cfg);
      if (info.layout !== 'tokens' || info.layer < 0) fail(`suffix run: activation target ${t.hook} is not a [T, N] block hook`);
      if (!Number.isInteger(t.index) || t.index < 0 || t.index >= info.units) fail(`suffix run: index ${t.index} is out of range for ${t.hook}`);
      if (t.positions.length === 0 || t.positions.some((p) => !Number.isInteger(p) || p < from || p >= T)) fail(`suffix run: activation target positions must lie in ${from}..${T - 1}`);
      l0 = Math.min(l0, info.layer);
    } else {
      for (const tok of t.kind === 'logit_diff' ? [t.token, t.distractor] : [t.token]) {
        if (!Number.isInteger(tok) || tok < 0 || tok >= V) fail(`suffix run: target token ${tok} is outside the vocabulary (0..${V - 1})`);
      }
    }
  }
  if (l0 === L) l0 = L - 1;
  if (l0 < fromLayer) fail(`suffix run: layer ${l0} is below the runner's first layer ${fromLayer}`);
  return { from, S, B, capture, l0, editedHooks, actTargets };
}

/** Turns an engine target (logit kinds) into a suffix target; the position must be the runner's last. */
export function suffixTarget(t: { kind: string; token: number; distractor?: number }): SuffixTarget {
  if (t.kind === 'logit_diff') return { kind: 'logit_diff', token: t.token, distractor: t.distractor! };
  if (t.kind === 'logit' || t.kind === 'logprob') return { kind: t.kind, token: t.token };
  return fail(`target kind "${t.kind}" is not one of logit, logit_diff, logprob`);
}

/**
 * Sequences per suffix run for S recomputed positions of a T-token prompt: at most 64, and few enough that the
 * intermediate tensors of a backward pass stay near 64 MB.
 */
export function suffixBatch(cfg: ModelConfig, S: number, T: number): number {
  // Non-causal runs recompute every position.
  if (!isCausal(cfg)) S = T;
  const perToken = cfg.nLayer * (10 * cfg.dModel + 4 * cfg.dMlp + 2 * cfg.nHead * T);
  return Math.max(1, Math.min(64, Math.floor(2 ** 24 / (S * perToken))));
}
