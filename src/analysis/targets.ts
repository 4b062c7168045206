/**
 * Targets of attribution and path search: the logit of token t at position p, the logit difference t − d against a
 * distractor, or the log-probability of t. The position defaults to the last one.
 */
import { fail } from '../engine/errors';
import { outputPosition } from '../engine/inputs';
import { LOGIT_TARGET_KINDS, type ModelConfig, type Target } from '../engine/types';

/** A target whose position is resolved to an index into the prompt. */
export type ResolvedTarget = Target & { position: number };

export { LOGIT_TARGET_KINDS as TARGET_KINDS, type LogitTargetKind as TargetKind } from '../engine/types';

/**
 * Resolves the position (undefined or negative = the last one; for vision models [CLS], position 0, the only one
 * their classes are read at) and checks the target against the prompt length and, when given, the model's
 * vocabulary (a vision model's classes).
 */
export function resolveTarget(t: Target, T: number, cfg?: ModelConfig): ResolvedTarget {
  const position = t.position === undefined || t.position < 0 ? (cfg ? outputPosition(cfg, T) : T - 1) : t.position;
  if (!Number.isInteger(position) || position >= T) fail(`target position ${t.position} is outside the prompt (0..${T - 1})`);
  if (cfg?.vision && position !== 0) fail(`target position ${position}: a ${cfg.modelType} model's classes are read at the [CLS] token, position 0`);
  if (!(LOGIT_TARGET_KINDS as readonly string[]).includes(t.kind)) fail(`target kind "${t.kind}" is not one of ${LOGIT_TARGET_KINDS.join(', ')}`);
  if (t.kind === 'logit_diff' && t.distractor === undefined) fail('a logit_diff target needs a distractor token');
  if (cfg) {
    for (const tok of t.kind === 'logit_diff' ? [t.token, t.distractor!] : [t.token]) {
      if (!Number.isInteger(tok) || tok < 0 || tok >= cfg.vocabSize) fail(cfg.vision ? `target class ${tok} is outside the model's classes (0..${cfg.vocabSize - 1})` : `target token ${tok} is outside the vocabulary (0..${cfg.vocabSize - 1})`);
    }
  }
  return { ...t, position };
}

/** The target's value computed from one row of logits (what the engine differentiates). */
export function targetFromLogits(t: Target, logits: ArrayLike<number>, offset = 0, V = logits.length - offset): number {
  switch (t.kind) {
    case 'logit':
      return logits[offset + t.token];
    case 'logit_diff':
      return logits[offset + t.token] - logits[offset + t.distractor!];
    case 'logprob':
      return Math.log(softmaxAt(logits, offset, V, t.token));
    default:
      return fail(`target kind "${t.kind}" cannot be read from logits`);
  }
}

/** softmax(logits[offset .. offset+V))[token], computed stably. */
export function softmaxAt(logits: ArrayLike<number>, offset: number, V: number, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[offset + i]);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[offset + i] - max);
  return Math.exp(logits[offset + token] - max) / sum;
}

/** Index of the largest value of logits[offset .. offset+V). */
export function argmaxAt(logits: ArrayLike<number>, offset: number, V: number): number {
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[offset + i] > logits[offset + best]) best = i;
  return best;
}
