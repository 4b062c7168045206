import * as tf from '@tensorflow/tfjs';
import { buildEditMaps, validateEdit, type EditMaps } from './edits';
import { fail } from './errors';
import { forwardResidual, outputLogits, targetLogitRows, unembed, type HookFn } from './forward';
import { checkPixelShape, outputPosition, unfoldPatches } from './inputs';
import { hookInfo } from './hooks';
import { checkRunMemory } from './memory-check';
import type { Model } from './model';
import type { RunShape } from './request-memory';
import { TARGET_KINDS, type Edit, type GradRules, type HookName, type ModelConfig, type RunRequest, type RunResult, type Target, type TensorData } from './types';

export interface NormalisedRequest {
  B: number;
  T: number;
  perBatchEdits: Edit[][];
  capture: HookName[];
  targets: Array<Required<Pick<Target, 'kind' | 'token' | 'position'>> & { distractor?: number; hook?: HookName; index?: number }> | null;
  logits: 'all' | 'last' | 'none';
  rules: GradRules;
}

/** The batch size and token count of a request's input: token ids, or a vision model's pixel values. */
function inputSize(cfg: ModelConfig, req: RunRequest): { B: number; T: number } {
  if (cfg.vision) {
    if (req.inputIds !== undefined) fail(`this ${cfg.modelType} model classifies images: give pixelValues, not inputIds`);
    const px = req.pixelValues;
    if (!px || !Array.isArray(px.shape)) fail('pixelValues: the images [B, C, H, W] are needed');
    checkPixelShape(cfg, px.shape, 'pixelValues');
    if (px.shape[0] < 1) fail('pixelValues: at least one image is needed');
    if (px.data.length !== px.shape.reduce((a, b) => a * b, 1)) fail(`pixelValues: ${px.data.length} values for the shape [${px.shape.join(', ')}]`);
    for (let i = 0; i < px.data.length; i++) if (!Number.isFinite(px.data[i])) fail(`pixelValues: value ${px.data[i]} at flat index ${i} is not finite`);
    return { B: px.shape[0], T: cfg.nCtx };
  }
  if (req.pixelValues !== undefined) fail(`this ${cfg.modelType} model reads token ids: give inputIds, not pixelValues`);
  const ids = req.inputIds;
  if (!Array.isArray(ids) || ids.length === 0) fail('inputIds: at least one sequence is needed');
  const T = ids[0].length;
  if (T === 0) fail('the prompt is empty: at least one token is needed');
  if (T > cfg.nCtx) fail(`the prompt is ${T} tokens long, longer than the model's context of ${cfg.nCtx} tokens`);
  for (const seq of ids) {
    if (seq.length !== T) fail('inputIds: all sequences in one run must have the same length');
    for (const id of seq) {
      if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) fail(`token id ${id} is outside the vocabulary (0..${cfg.vocabSize - 1})`);
    }
  }
  return { B: ids.length, T };
}

/** Validates a request against a model's config; every problem is reported with the field it concerns. */
export function normaliseRequest(cfg: ModelConfig, req: RunRequest): NormalisedRequest {
  const { B, T } = inputSize(cfg, req);
  let perBatchEdits: Edit[][];
  const edits = req.edits ?? [];
  if (edits.length > 0 && Array.isArray(edits[0])) {
    if (edits.length !== B) fail(`edits: ${edits.length} edit sets given for ${B} sequences`);
    perBatchEdits = edits as Edit[][];
  } else {
    perBatchEdits = Array.from({ length: B }, () => edits as Edit[]);
  }
  for (const set of perBatchEdits) for (const e of set) validateEdit(e, cfg, T);
  const capture = [...new Set(req.capture ?? [])];
  for (const h of capture) hookInfo(h, cfg);
  let targets: NormalisedRequest['targets'] = null;
  if (req.target) {
    const list = Array.isArray(req.target) ? req.target : Array.from({ length: B }, () => req.target as Target);
    if (list.length !== B) fail(`target: ${list.length} targets given for ${B} sequences`);
    const kinds = new Set(list.map((t) => t.kind === 'activation'));
    if (kinds.size > 1) fail('target: activation targets cannot be mixed with logit targets in one run');
    if (list[0].kind === 'activation' && new Set(list.map((t) => t.hook)).size > 1) fail('target: all activation targets of a run must read the same hook');
    targets = list.map((t) => {
      const position = t.position === undefined || t.position === -1 ? outputPosition(cfg, T) : t.position;
      if (!Number.isInteger(position) || position < 0 || position >= T) fail(`target position ${t.position} is outside the prompt (0..${T - 1})`);
      if (cfg.vision && t.kind !== 'activation' && position !== 0) fail(`target position ${t.position}: a ${cfg.modelType} model's classes are read at the [CLS] token, position 0`);
      if (!(TARGET_KINDS as readonly string[]).includes(t.kind)) fail(`target kind "${t.kind}" is not one of ${TARGET_KINDS.join(', ')}`);
      if (t.kind === 'activation') {
        const info = hookInfo(t.hook ?? '', cfg);
        if (info.layout !== 'tokens') fail(`activation target: ${t.hook} is not a [T, N] hook`);
        if (!Number.isInteger(t.index) || t.index! < 0 || t.index! >= info.units) fail(`activation target: index ${t.index} is out of range for ${t.hook}`);
        return { kind: t.kind, token: 0, position, hook: t.hook, index: t.index };
      }
      for (const tok of t.kind === 'logit_diff' ? [t.token, t.distractor] : [t.token]) {
        if (!Number.isInteger(tok) || tok! < 0 || tok! >= cfg.vocabSize) fail(cfg.vision ? `target class ${tok} is outside the model's classes (0..${cfg.vocabSize - 1})` : `target token ${tok} is outside the vocabulary (0..${cfg.vocabSize - 1})`);
      }
      return { kind: t.kind, token: t.token, position, distractor: t.distractor };
    });
  }
  const rules = req.rules ?? 'exact';
  if (rules !== 'exact' && rules !== 'lrp') fail(`rules: "${String(rules)}" is not exact or lrp`);
  return { B, T, perBatchEdits, capture, targets, logits: req.logits ?? 'all', rules };
}

/** The shape of a normalised request, for its memory estimate. */
export function runShape(cfg: ModelConfig, n: NormalisedRequest): RunShape {
  const captureFloats = n.capture.reduce((s, h) => s + n.B * hookInfo(h, cfg).shape(n.T).reduce((a, b) => a * b, 1), 0);
  const logits = n.logits === 'all' || n.capture.includes('logits') ? 'all' : n.logits === 'last' || n.targets ? 'last' : 'none';
  return { batch: n.B, rows: n.T, keys: n.T, layers: cfg.nLayer, gradient: n.targets !== null && n.capture.length > 0, logits, captureFloats };
}

/** The per-sequence target values from logits rows [B, V]. */
function targetValues(rows: tf.Tensor2D, targets: NonNullable<NormalisedRequest['targets']>, V: number): tf.Tensor1D {
  const B = targets.length;
  const sel = new Float32Array(B * V);
  targets.forEach((t, b) => {
    sel[b * V + t.token] += 1;
    if (t.kind === 'logit_diff') sel[b * V + t.distractor!] -= 1;
  });
  const needsLogProb = targets.some((t) => t.kind === 'logprob');
  let src: tf.Tensor2D = rows;
  if (needsLogProb) {
    const lp = tf.logSoftmax(rows);
    const useLp = tf.tensor2d(targets.map((t) => (t.kind === 'logprob' ? 1 : 0)), [B, 1]);
    src = tf.add(tf.mul(lp, useLp), tf.mul(rows, tf.sub(1, useLp)));
  }
  return tf.sum(tf.mul(src, tf.tensor2d(sel, [B, V])), 1);
}

/** Refuses a result holding NaN or Infinity, naming the edits that led there (weights are checked finite at load). */
function checkFinite(data: Float32Array, what: string, edits: Edit[][]): void {
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    const used = [...new Set(edits.flat().map((e) => `${e.hook}[${e.index ?? '*'}] ${e.op}${e.value !== undefined ? ` ${e.value}` : ''}`))];
    fail(`the run gave ${data[i]} in the ${what}: ${used.length ? `the edits (${used.join('; ')}) push values out of float32 range` : 'the model overflows float32 on this input'}`);
  }
}

/** Copies a tensor's values out (a copy, so no two results share a buffer and all can be transferred). */
async function read(t: tf.Tensor): Promise<TensorData> {
  const data = ((await t.data()) as Float32Array).slice();
  return { shape: [...t.shape], data };
}

/**
 * One forward pass (and, when a target is set, one backward pass) of a model on a batch, with the request's
 * edits, captures and gradient target. Leaves no tensors behind and no state on the model.
 */
export async function runModel(model: Model, req: RunRequest): Promise<RunResult> {
  const n = normaliseRequest(model.config, req);
  // The block reads the run's backward rules from the config it is given.
  const cfg: ModelConfig = n.rules === 'exact' ? model.config : { ...model.config, rules: n.rules };
  const { B, T } = n;
  // Refused here, before any tensor exists, when it would not fit what the backend has free.
  checkRunMemory(cfg, runShape(cfg, n));
  const maps = new Map<HookName, EditMaps>();
  const editedHooks = new Set(n.perBatchEdits.flat().map((e) => e.hook));
  for (const h of editedHooks) {
    const m = buildEditMaps(h, n.perBatchEdits, cfg, T, req.means);
    if (m) maps.set(h, m);
  }
  const withGrad = n.targets !== null && n.capture.length > 0;
  const captureSet = new Set(n.capture);
  const fullLogits = n.logits === 'all' || captureSet.has('logits');

  interface Outputs {
    logits: tf.Tensor | null;
    tv: tf.Tensor1D | null;
    captured: Record<HookName, tf.Tensor>;
    grads: Record<HookName, tf.Tensor>;
  }
  const keepOrNull = <T extends tf.Tensor>(t: T | null) => (t ? tf.keep(t) : null);
  // Everything that leaves the tidy scope is marked with tf.keep and disposed in the finally below.
  let outputs: Outputs = { logits: null, tv: null, captured: {}, grads: {} };
  tf.tidy(() => {
    const input = cfg.vision
      ? tf.tensor(unfoldPatches(cfg, req.pixelValues!), [B, T - 1, cfg.vision.channels * cfg.vision.patchSize ** 2])
      : tf.tensor2d(req.inputIds!.flat(), [B, T], 'int32');
    const captured: Record<HookName, tf.Tensor> = {};
    const shapeOf = (h: HookName) => [B, ...hookInfo(h, cfg).shape(T)];
    const applyEdits = (name: HookName, x: tf.Tensor): tf.Tensor => {
      const m = maps.get(name);
      if (!m) return x;
      const shape = shapeOf(name);
      let y = x;
      if (m.mult) y = tf.mul(y, tf.tensor(m.mult, shape));
      if (m.add) y = tf.add(y, tf.tensor(m.add, shape));
      return y;
    };
    const actTarget = n.targets && n.targets[0].kind === 'activation' ? n.targets : null;
    const forward = (probes: Map<HookName, tf.Tensor>) => {
      let actValue: tf.Tensor1D | null = null;
      const hook: HookFn = (name, x) => {
        let y = applyEdits(name, x);
        const p = probes.get(name);
        if (p) y = tf.add(y, p);
        if (captureSet.has(name)) captured[name] = tf.keep(tf.clone(y));
        if (actTarget && name === actTarget[0].hook) {
          const N = y.shape[2]!;
          const sel = new Float32Array(B * T * N);
          actTarget.forEach((t, b) => (sel[(b * T + t.position) * N + t.index!] = 1));
          actValue = tf.sum(tf.mul(y, tf.tensor(sel, [B, T, N])), [1, 2]) as tf.Tensor1D;
        }
        return y;
      };
      const finalNorm = forwardResidual(model.weights, cfg, input, hook);
      let logits: tf.Tensor | null = null;
      if (fullLogits || cfg.vision) logits = hook('logits', outputLogits(model.weights, cfg, finalNorm));
      let tv: tf.Tensor1D | null = actValue;
      if (cfg.vision) {
        // One output per image, [B, labels], read at [CLS]: 'all' and 'last' are the same.
        if (n.targets && !actTarget) tv = targetValues(logits as tf.Tensor2D, n.targets, cfg.vocabSize);
        return { logits: n.logits === 'none' ? null : logits, tv };
      }
      if (n.targets && !actTarget) {
        const flatIdx = tf.tensor1d(n.targets.map((t, b) => b * T + t.position), 'int32');
        if (logits) tv = targetValues(tf.gather(tf.reshape(logits, [B * T, cfg.vocabSize]), flatIdx) as tf.Tensor2D, n.targets, cfg.vocabSize);
        else {
          const rows = tf.gather(tf.reshape(finalNorm, [B * T, cfg.dModel]), flatIdx) as tf.Tensor2D;
          // A logit (difference) needs only the target's (and distractor's) unembedding rows, not all V logits.
          tv = n.targets.some((t) => t.kind === 'logprob') ? targetValues(unembed(model.weights, rows) as tf.Tensor2D, n.targets, cfg.vocabSize) : targetLogitRows(model.weights, rows, n.targets);
        }
      }
      let outLogits: tf.Tensor | null = null;
      if (n.logits === 'all') outLogits = logits;
      else if (n.logits === 'last') {
        outLogits = logits
          ? tf.slice(logits, [0, T - 1, 0], [B, 1, cfg.vocabSize])
          : unembed(model.weights, tf.slice(finalNorm, [0, T - 1, 0], [B, 1, cfg.dModel]));
      }
      return { logits: outLogits, tv };
    };

    if (!withGrad) {
      const { logits, tv } = forward(new Map());
      outputs = { logits: keepOrNull(logits), tv: keepOrNull(tv), captured, grads: {} };
      return;
    }
    const probeList = n.capture.map((h) => tf.zeros(shapeOf(h)));
    let logitsOut: tf.Tensor | null = null;
    let tvOut: tf.Tensor1D | null = null;
    const f = (...ps: tf.Tensor[]) => {
      const probes = new Map(n.capture.map((h, i) => [h, ps[i]] as const));
      const { logits, tv } = forward(probes);
      logitsOut = logits ? tf.keep(logits) : null;
      tvOut = tf.keep(tv!);
      return tf.sum(tv!) as tf.Scalar;
    };
    const gradList = tf.grads(f)(probeList);
    const grads: Record<HookName, tf.Tensor> = {};
    n.capture.forEach((h, i) => (grads[h] = tf.keep(gradList[i])));
    outputs = { logits: logitsOut, tv: tvOut, captured, grads };
  });

  const result: RunResult = { activations: {}, grads: {} };
  try {
    if (outputs.logits) {
      result.logits = await read(outputs.logits);
      checkFinite(result.logits.data, 'logits', n.perBatchEdits);
    }
    if (outputs.tv) result.targetValues = (await read(outputs.tv)).data;
    for (const h of n.capture) {
      result.activations[h] = await read(outputs.captured[h]);
      if (outputs.grads[h]) result.grads[h] = await read(outputs.grads[h]);
    }
  } finally {
    const all = [outputs.logits, outputs.tv, ...Object.values(outputs.captured), ...Object.values(outputs.grads)];
    for (const t of new Set(all)) if (t && !t.isDisposed) t.dispose();
  }
  return result;
}
