import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { chooseBackend, type DeviceFacts } from './backend-choice';
import type { BackendName } from './backend-names';
import { fail } from './errors';
import { registerWasmExtras } from './wasm-kernels';

export { BACKEND_ORDER, isBackendName, type BackendName } from './backend-names';

export interface BackendOptions {
  /** Folder (URL prefix) holding the tfjs-backend-wasm .wasm binaries, served by the app itself. */
  wasmPaths?: string;
}

let wasmConfigured = false;

async function tryBackend(name: BackendName, opts: BackendOptions): Promise<boolean> {
  if (name === 'webgpu') {
    const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    if (!nav?.gpu) return false;
  }
  if (name === 'webgl') {
    if (typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') return false;
  }
  if (name === 'wasm' && !wasmConfigured) {
    const threads = wasmThreadPlan();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads.threads > 1);
    if (threads.threads > 1) setThreadsCount(threads.threads);
    if (opts.wasmPaths) setWasmPaths(opts.wasmPaths);
    wasmConfigured = true;
  }
  const restore = name === 'wasm' ? reportCoresForThreads(wasmThreadPlan().threads) : () => {};
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  } finally {
    restore();
  }
}

/**
 * tfjs's WASM module sizes its thread pool as min(asked, logical cores / 2), assuming two hardware threads per core;
 * on machines without them (most VMs, phones, Apple silicon) that leaves half the cores idle, and one core of two.
 * While the module starts, this context's `navigator.hardwareConcurrency` reads as twice the threads wanted (never
 * more than 2 × the real cores), then reads true again. Returns the function that restores it.
 */
function reportCoresForThreads(threads: number): () => void {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (threads <= 1 || !nav) return () => {};
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { value: threads * 2, configurable: true });
    return () => void delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  } catch {
    return () => {};
  }
}

/** What this environment reports about its GPU (adapter kind, renderer name), without starting a backend. */
export async function deviceFacts(): Promise<DeviceFacts> {
  const facts: DeviceFacts = { webgpu: false, webgl: false };
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (gpu) {
    try {
      const adapter = (await gpu.requestAdapter()) as { isFallbackAdapter?: boolean; info?: Record<string, unknown> } | null;
      if (adapter) {
        facts.webgpu = true;
        const info = adapter.info ?? {};
        facts.webgpuFallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true;
        facts.webgpuInfo = ['vendor', 'architecture', 'device', 'description'].map((k) => info[k]).filter((v) => typeof v === 'string' && v).join(' ');
      }
    } catch {
      // no adapter: WebGPU unavailable
    }
  }
  if (typeof OffscreenCanvas !== 'undefined') {
    try {
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
      if (gl) {
        facts.webgl = true;
        const ext = gl.getExtension('WEBGL_debug_renderer_info');
        facts.webglRenderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
      }
    } catch {
      // no WebGL
    }
  }
  return facts;
}

/** Median milliseconds of a small product on the current backend (the probe when the device kind is unknown). */
async function probeMs(): Promise<number> {
  const a = tf.randomNormal([256, 256]);
  const ts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const r = tf.matMul(a, a);
    await r.data();
    r.dispose();
    ts.push(performance.now() - t0);
  }
  a.dispose();
  return ts.sort((x, y) => x - y)[2];
}

/**
 * How many threads the WASM backend runs on, and why. Threads need shared memory, which a page has only when it is
 * cross-origin isolated (served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`); then one thread per core but one (left to the page), at most 8. Node (the CLI, tests) runs one
 * thread: tfjs's threaded build starts its threads from blob: URLs, which Node's workers cannot load.
 */
export function wasmThreadPlan(): { threads: number; why: string } {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number }; process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) return { threads: 1, why: 'one thread (Node)' };
  if (typeof SharedArrayBuffer === 'undefined' || g.crossOriginIsolated !== true) return { threads: 1, why: 'one thread: the page is not cross-origin isolated (COOP/COEP headers), so it has no shared memory' };
  const cores = Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  // One core is left to the page (its drawing and input), so a long analysis never starves it.
  const threads = Math.max(1, Math.min(8, cores - 1));
  return threads > 1 ? { threads, why: `${threads} threads (cross-origin isolated page, ${cores} cores, one left to the page)` } : { threads: 1, why: `one thread (${cores} core${cores === 1 ? '' : 's'}: one is left to the page)` };
}

/** Threads the WASM backend is running on (1 when another backend is in use). */
export function wasmThreads(): number {
  if (tf.getBackend() !== 'wasm') return 1;
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}

let reason = '';
/** Why the backend in use was chosen (set by initBackend). */
export function backendReason(): string {
  return tf.getBackend() === 'wasm' ? `${reason}; ${wasmThreadPlan().why}` : reason;
}

/**
 * Starts a tfjs backend. `auto` decides from the device (chooseBackend): a software WebGPU adapter or WebGL renderer
 * is skipped for WASM, and where the kind is unknown a short probe picks the faster. A named backend is tried alone.
 * Returns the backend in use (throws when a named backend cannot start); `backendReason()` says why.
 */
export async function initBackend(preferred: BackendName | 'auto' = 'auto', opts: BackendOptions = {}): Promise<BackendName> {
  registerWasmExtras();
  if (preferred !== 'auto') {
    if (await tryBackend(preferred, opts)) {
      reason = `${preferred}: chosen in the URL or on the command line`;
      return preferred;
    }
    fail(`the ${preferred} backend could not be started here`);
  }
  const choice = chooseBackend(await deviceFacts());
  if (choice.probe.length > 1) {
    const times: Array<[BackendName, number]> = [];
    for (const b of choice.probe) if (await tryBackend(b, opts)) times.push([b, await probeMs()]);
    times.sort((x, y) => x[1] - y[1]);
    if (times.length > 0 && (await tryBackend(times[0][0], opts))) {
      reason = `${times[0][0]}: ${choice.reason} (${times.map(([b, t]) => `${b} ${t.toFixed(1)} ms`).join(', ')})`;
      return times[0][0];
    }
  }
  for (const name of choice.order) {
    if (await tryBackend(name, opts)) {
      reason = choice.reason;
      return name;
    }
  }
  fail('no tfjs backend could be started here');
}
