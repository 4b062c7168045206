import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { BACKEND_ORDER, type BackendName } from './backend-names';
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
    // Threaded WASM breaks under minification; the single-threaded SIMD binary is used everywhere.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (opts.wasmPaths) setWasmPaths(opts.wasmPaths);
    wasmConfigured = true;
  }
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Starts a tfjs backend. `auto` tries WebGPU, WebGL, WASM, CPU in that order and keeps the first that starts;
 * a named backend is tried alone. Returns the backend in use (throws when a named backend cannot start).
 */
export async function initBackend(preferred: BackendName | 'auto' = 'auto', opts: BackendOptions = {}): Promise<BackendName> {
  const order = preferred === 'auto' ? BACKEND_ORDER : [preferred];
  registerWasmExtras();
  for (const name of order) {
    if (await tryBackend(name, opts)) return name;
  }
  fail(preferred === 'auto' ? 'no tfjs backend could be started here' : `the ${preferred} backend could not be started here`);
}
