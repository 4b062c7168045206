/**
 * Memory of one engine call (a forward pass, a forward and backward pass, a suffix run, a generation step), estimated
 * from its shape before any tensor is allocated, and the verdict against what the backend has free. Pure (no tfjs):
 * the budget comes from memory-check.ts.
 *
 * A run is traced inside one tf.tidy, so every intermediate of every layer stays allocated until it ends: the peak is
 * the sum of everything the pass creates. The coefficients below are floats per row and layer as tfjs counts them
 * (tf.memory().numBytes, which counts a reshape or a clone again), fitted with tf.profile's peak on models of every
 * architecture (GPT-2, Llama, GPT-NeoX) at several widths, depths, batches and lengths, on the CPU, WASM and WebGPU backends,
 * and rounded up; test/engine/request-memory.test.ts checks them within a factor of 2 of the measured peak.
 */
import type { BackendName } from './backend-names';
import { fmtBytes } from './memory-fit';
import type { ModelConfig } from './types';

/** The shape of one engine call. */
export interface RunShape {
  /** Sequences in the batch (B): IG steps, ablation copies, generated continuations. */
  batch: number;
  /** Positions computed per sequence: the prompt, a suffix run's suffix, a generation step's new tokens. */
  rows: number;
  /** Positions each row attends over (the prompt length; a key/value cache's length plus the new rows). */
  keys: number;
  /** Blocks computed (all of them, or a suffix run's from its first edited layer on). */
  layers: number;
  /** With a backward pass (gradients of captured hooks). */
  gradient: boolean;
  /** Logits made: at every row, at the last row only, or none. */
  logits: 'all' | 'last' | 'none';
  /** Floats of the captured hooks, summed over the batch (each is copied out of the tidy scope). */
  captureFloats: number;
}

export interface RunEstimate {
  bytes: number;
  /** The largest single tensor of the run (WebGPU holds each in one buffer). */
  largestTensorBytes: number;
  largestTensor: string;
  parts: { activations: number; attention: number; logits: number; captures: number };
}

interface Coefficients {
  /** Per row and layer: × d_model, × d_mlp, × heads·keys. */
  d: number;
  mlp: number;
  attn: number;
  /** Per row, outside the blocks (embeddings, final norm) × d_model. */
  embed: number;
  /** Logits at every row: × vocab per row, plus × vocab·d_model (the transposed unembedding). */
  logits: number;
  unembed: number;
  capture: number;
}

/**
 * WASM's attention kernels (batched matmul, softmax) make about twice as many temporaries as the CPU backend's. WebGPU
 * measured like the CPU (Dawn on SwiftShader in Node: the estimate 1.0–1.7 × the peak); WebGL, not measured, takes
 * WASM's figure.
 */
function coefficients(backend: BackendName, gradient: boolean): Coefficients {
  const attn = backend === 'cpu' || backend === 'webgpu' ? 4 : 9;
  return gradient
    ? { d: 110, mlp: 30, attn: 2 * attn, embed: 60, logits: 3, unembed: 5, capture: 1 }
    : { d: 44, mlp: 11, attn, embed: 20, logits: 3, unembed: 1, capture: 1.5 };
}

export function estimateRun(cfg: Pick<ModelConfig, 'dModel' | 'dMlp' | 'nHead' | 'vocabSize'>, s: RunShape, backend: BackendName): RunEstimate {
  const c = coefficients(backend, s.gradient);
  const { dModel: D, dMlp: M, nHead: H, vocabSize: V } = cfg;
  const R = s.batch * s.rows;
  const activations = 4 * (R * s.layers * (c.d * D + c.mlp * M) + R * c.embed * D);
  const attention = 4 * R * s.layers * c.attn * H * s.keys;
  const logitRows = s.logits === 'all' ? R : s.logits === 'last' ? s.batch : 0;
  // More than a few rows of logits are made against a transposed copy of the unembedding (forward.ts `unembed`).
  const logits = 4 * (logitRows * c.logits * V + (logitRows >= 4 ? c.unembed * V * D : 0));
  const captures = 4 * c.capture * s.captureFloats;
  const tensors: Array<[string, number]> = [
    ['the attention scores', 4 * s.batch * H * s.rows * s.keys],
    ['the logits', 4 * logitRows * V],
    ['the MLP activations', 4 * R * M],
    ['the transposed unembedding', logitRows >= 4 ? 4 * V * D : 0],
  ];
  const [largestTensor, largestTensorBytes] = tensors.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { bytes: activations + attention + logits + captures, largestTensorBytes, largestTensor, parts: { activations, attention, logits, captures } };
}

/** What the backend can give one call now. */
export interface RequestBudget {
  backend: BackendName;
  /** The whole budget (WASM: the 4 GiB heap; WebGPU/WebGL: a browser budget or the machine's memory; CPU: a cap). */
  totalBytes: number;
  /** Held by tensors now (weights, caches, results not yet read). */
  allocatedBytes: number;
  /** Largest single tensor (WebGPU buffer limits), when there is one. */
  maxTensorBytes: number | null;
  /** Where the figures come from, for messages. */
  source: string;
}

/** A short description of a run, for messages: "a forward and backward pass of 20 sequences × 128 tokens". */
export function describeRun(s: RunShape, kind = s.gradient ? 'a forward and backward pass' : 'a forward pass'): string {
  const rows = s.rows === s.keys ? `${s.rows} tokens` : `${s.rows} of ${s.keys} tokens`;
  return `${kind} of ${s.batch} sequence${s.batch === 1 ? '' : 's'} × ${rows}`;
}

/** The refusal message when the estimate does not fit the budget; null when it does. */
export function requestVerdict(est: RunEstimate, budget: RequestBudget, what: string): string | null {
  if (budget.maxTensorBytes !== null && est.largestTensorBytes > budget.maxTensorBytes) {
    return `${what} was refused before it ran: ${est.largestTensor} would take ${fmtBytes(est.largestTensorBytes)} in one tensor, over the ${fmtBytes(budget.maxTensorBytes)} one buffer may hold on ${budget.backend} (${budget.source}); use a shorter prompt or a smaller batch`;
  }
  const free = Math.max(0, budget.totalBytes - budget.allocatedBytes);
  if (est.bytes <= free) return null;
  const p = est.parts;
  const parts = [`activations ${fmtBytes(p.activations)}`, `attention ${fmtBytes(p.attention)}`, p.logits > 0 ? `logits ${fmtBytes(p.logits)}` : '', p.captures > 0 ? `captured hooks ${fmtBytes(p.captures)}` : ''].filter(Boolean);
  return `${what} was refused before it ran: it needs about ${fmtBytes(est.bytes)} (${parts.join(', ')}), over the ${fmtBytes(free)} free on ${budget.backend} (${budget.source}: ${fmtBytes(budget.totalBytes)}, ${fmtBytes(budget.allocatedBytes)} in use); use a shorter prompt or a smaller batch`;
}
