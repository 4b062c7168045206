/**
 * The limits of the tfjs backend in use and the memory check run before a model's weights are fetched (worker and
 * CLI). The arithmetic is in memory-fit.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './backend-names';
import { parseConfigWithArch } from './config';
import { fail } from './errors';
import { BROWSER_SOFT_BYTES, estimateFromTensors, fitVerdict, WASM_HEAP_BYTES, type DeviceLimits, type FitVerdict, type MemoryEstimate } from './memory-fit';
import { describeRun, estimateRun, requestVerdict, type RequestBudget, type RunShape } from './request-memory';
import type { ModelConfig } from './types';

interface GpuLimits {
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

/**
 * What the backend in use can hold. `systemBytes`: the machine's memory where the caller knows it (the CLI, from
 * node:os); in a browser tab the CPU and WebGL backends report nothing, so a soft browser figure applies.
 */
export function deviceLimits(opts: { systemBytes?: number; browser?: boolean } = {}): DeviceLimits {
  const backend = tf.getBackend() as BackendName;
  const soft = opts.browser ? BROWSER_SOFT_BYTES : null;
  if (backend === 'wasm') return { backend, totalBytes: WASM_HEAP_BYTES, maxTensorBytes: null, softBytes: soft, source: 'WASM heap (4 GiB address space)' };
  if (backend === 'webgpu') {
    const limits = (tf.backend() as unknown as { device?: { limits?: GpuLimits } }).device?.limits ?? {};
    const caps = [limits.maxBufferSize, limits.maxStorageBufferBindingSize].filter((x): x is number => typeof x === 'number' && x > 0);
    return { backend, totalBytes: opts.browser ? null : (opts.systemBytes ?? null), maxTensorBytes: caps.length ? Math.min(...caps) : null, softBytes: soft, source: 'WebGPU adapter limits' };
  }
  if (backend === 'webgl') return { backend, totalBytes: null, maxTensorBytes: null, softBytes: BROWSER_SOFT_BYTES, source: 'WebGL' };
  return { backend, totalBytes: opts.browser ? null : (opts.systemBytes ?? null), maxTensorBytes: null, softBytes: soft, source: opts.browser ? 'the CPU backend' : 'system memory' };
}

/** The estimate of a config.json (text or object): every tensor its architecture reads, an untied head if the config says so. */
export function estimateConfig(config: string | object): MemoryEstimate {
  const { config: cfg, arch } = parseConfigWithArch(config);
  return estimateFromTensors(cfg, arch.tensors(cfg, (k) => k === 'lm_head.weight' && !cfg.tiedEmbeddings));
}

/**
 * Refuses (PathlightError with the figures) a model that will not fit; returns the verdict otherwise, whose
 * message the caller shows as a warning when it is `tight`.
 */
export function checkMemory(config: string | object, limits: DeviceLimits, what: string): FitVerdict {
  const v = fitVerdict(estimateConfig(config), limits, what);
  if (v.kind === 'too-big') fail(v.message);
  return v;
}

/** The CPU backend's cap for one call where the machine's memory is not known (a browser tab, tests). */
export const CPU_REQUEST_CAP = 16 * 1024 ** 3;

let budgetContext: { systemBytes?: number; browser?: boolean } = {};
/** Where requests run: the worker says `browser`, the CLI gives the machine's memory. Read by `requestBudget`. */
export function setRequestContext(ctx: { systemBytes?: number; browser?: boolean }): void {
  budgetContext = { ...ctx };
}

/**
 * What one engine call may use now: WASM its 4 GiB heap less what tensors hold; WebGPU and WebGL the machine's memory
 * (CLI) or a browser tab's (4 GiB) less what is held, and for WebGPU each tensor within the adapter's buffer limit;
 * CPU the machine's memory, else a generous cap.
 */
export function requestBudget(): RequestBudget {
  const limits = deviceLimits(budgetContext);
  const allocatedBytes = tf.memory().numBytes;
  const b = limits.backend;
  const fallback = b === 'cpu' ? CPU_REQUEST_CAP : BROWSER_SOFT_BYTES;
  const totalBytes = limits.totalBytes ?? fallback;
  const source = b === 'wasm' ? limits.source : limits.totalBytes !== null ? 'system memory' : b === 'cpu' ? "the CPU backend's cap" : `a browser tab's budget for ${b}`;
  return { backend: b, totalBytes, allocatedBytes, maxTensorBytes: limits.maxTensorBytes, source };
}

/**
 * Refuses (PathlightError naming the call, the estimated bytes and the limit) an engine call whose estimated memory
 * exceeds what the backend has free. Called before the call allocates anything.
 */
export function checkRunMemory(cfg: ModelConfig, shape: RunShape, what = describeRun(shape), budget: RequestBudget = requestBudget()): void {
  const msg = requestVerdict(estimateRun(cfg, shape, budget.backend), budget, what);
  if (msg) fail(msg);
}
