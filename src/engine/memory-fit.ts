/**
 * Memory honesty: what a model needs on a backend, from its config (before any weight is downloaded) or from an
 * approximate parameter count (the curated list), and whether that fits what the backend reports. Pure (no tfjs):
 * the limits come from device-limits.ts in the worker or the CLI.
 */
import type { BackendName } from './backend-names';
import type { ModelConfig } from './types';

/** The tfjs WASM backend's heap: 32-bit addresses, at most 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** A browser tab rarely gets more than this for one worker's typed arrays and GPU memory (Chromium: ~4 GB). */
export const BROWSER_SOFT_BYTES = 4 * 1024 ** 3;
/** Tokens the working-memory figure is computed for (a long prompt in the workbench). */
export const ESTIMATE_TOKENS = 128;

export interface DeviceLimits {
  backend: BackendName;
  /** Bytes the backend can hold in all, when known (WASM heap; Node CPU: free system memory). */
  totalBytes: number | null;
  /** Largest single tensor (WebGPU: the smaller of maxBufferSize and maxStorageBufferBindingSize). */
  maxTensorBytes: number | null;
  /** A figure above which the load is risky though not known to fail (browser tab limits); null = none. */
  softBytes: number | null;
  /** Where the figures come from, for messages ("WASM heap", "WebGPU adapter limits"). */
  source: string;
}

export interface MemoryEstimate {
  params: number;
  /** Float32 weights on the backend. */
  weightsBytes: number;
  largestTensorBytes: number;
  largestTensor: string | null;
  /** Activations and gradients of one analysis run on an ESTIMATE_TOKENS prompt, or on one image (approximate). */
  workBytes: number;
  totalBytes: number;
  /** What workBytes is for, in messages (absent: `a ${ESTIMATE_TOKENS}-token prompt`). */
  workFor?: string;
}

export type FitKind = 'fits' | 'tight' | 'too-big';

export interface FitVerdict {
  kind: FitKind;
  message: string;
}

export function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(0, Math.round(n / 1e3))} kB`;
}

/**
 * Working memory of one gradient run over T tokens: the block's activations kept for the backward pass, and logits.
 * T is ESTIMATE_TOKENS for a language model, every token ([CLS] and the patches) of one image for a vision model.
 */
function workBytesOf(cfg: Pick<ModelConfig, 'nLayer' | 'nHead' | 'dModel' | 'dMlp' | 'dHead' | 'vocabSize' | 'nCtx' | 'vision'>): number {
  const T = cfg.vision ? cfg.nCtx : Math.min(cfg.nCtx, ESTIMATE_TOKENS);
  const perToken = 6 * cfg.dModel + 3 * cfg.dMlp + 3 * cfg.nHead * T + 3 * cfg.nHead * cfg.dHead;
  return 4 * (cfg.nLayer * T * perToken + 2 * T * cfg.vocabSize);
}

/** From a parsed config and the tensors its architecture reads (`arch.tensors(cfg, has)`). */
export function estimateFromTensors(cfg: ModelConfig, tensors: Array<[string, number[]]>): MemoryEstimate {
  let params = 0;
  let largest = 0;
  let largestName: string | null = null;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    params += n;
    if (n > largest) {
      largest = n;
      largestName = name;
    }
  }
  const workBytes = workBytesOf(cfg);
  const workFor = cfg.vision ? `one image of ${cfg.nCtx} tokens` : undefined;
  return { params, weightsBytes: params * 4, largestTensorBytes: largest * 4, largestTensor: largestName, workBytes, totalBytes: params * 4 + workBytes, ...(workFor ? { workFor } : {}) };
}

/** From an approximate parameter count (the curated list): 10% working memory; the largest tensor when known. */
export function estimateFromParams(params: number, largest?: { name: string; elements: number }): MemoryEstimate {
  const weightsBytes = params * 4;
  const workBytes = Math.round(weightsBytes * 0.1);
  return { params, weightsBytes, largestTensorBytes: (largest?.elements ?? 0) * 4, largestTensor: largest?.name ?? null, workBytes, totalBytes: weightsBytes + workBytes };
}

/** Whether `est` fits `limits`, with the figures in the message. */
export function fitVerdict(est: MemoryEstimate, limits: DeviceLimits, what = 'the model'): FitVerdict {
  const need = `${what} needs about ${fmtBytes(est.totalBytes)} on ${limits.backend} (${fmtBytes(est.weightsBytes)} of float32 weights + ${fmtBytes(est.workBytes)} working memory for ${est.workFor ?? `a ${ESTIMATE_TOKENS}-token prompt`})`;
  if (limits.maxTensorBytes !== null && est.largestTensorBytes > limits.maxTensorBytes) {
    return {
      kind: 'too-big',
      message: `${what} will not fit on ${limits.backend}: its largest tensor${est.largestTensor ? ` (${est.largestTensor})` : ''} is ${fmtBytes(est.largestTensorBytes)}, over the ${fmtBytes(limits.maxTensorBytes)} one buffer may hold (${limits.source}); try ?backend=wasm`,
    };
  }
  if (limits.totalBytes !== null) {
    if (est.totalBytes > limits.totalBytes) return { kind: 'too-big', message: `${need}; that does not fit in the ${fmtBytes(limits.totalBytes)} of the ${limits.source}` };
    if (est.totalBytes > 0.8 * limits.totalBytes) return { kind: 'tight', message: `${need}, close to the ${fmtBytes(limits.totalBytes)} of the ${limits.source}: long prompts or many IG steps may run out of memory` };
  }
  if (limits.softBytes !== null && est.totalBytes > 0.5 * limits.softBytes) {
    return { kind: 'tight', message: `${need}; ${limits.source} does not report its memory, and a browser tab often gets no more than ${fmtBytes(limits.softBytes)}` };
  }
  return { kind: 'fits', message: `${need}${limits.totalBytes !== null ? ` of the ${fmtBytes(limits.totalBytes)} of the ${limits.source}` : ''}` };
}
