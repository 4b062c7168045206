/**
 * Which backend `auto` starts, decided from what the device reports (tfjs-free, unit-tested).
 *
 * A software WebGPU adapter (SwiftShader, llvmpipe, lavapipe, WARP) or a software WebGL renderer is far slower than
 * WASM (measured: predictions 9–20 s on SwiftShader WebGPU against 2–3 s on WASM), so `auto` skips them. Where the
 * device says nothing either way, the caller times a short probe on each candidate and keeps the faster.
 */
import type { BackendName } from './backend-names';

/** What the page learns about its GPU before starting a backend. */
export interface DeviceFacts {
  /** navigator.gpu.requestAdapter() gave an adapter. */
  webgpu: boolean;
  /** GPUAdapter.isFallbackAdapter (or adapter.info.isFallbackAdapter). */
  webgpuFallback?: boolean;
  /** adapter.info: vendor, architecture, device, description joined. */
  webgpuInfo?: string;
  /** A WebGL2 context could be made. */
  webgl: boolean;
  /** WEBGL_debug_renderer_info's unmasked renderer (or RENDERER). */
  webglRenderer?: string;
}

export interface BackendChoice {
  /** Backends to try, in order; the first that starts is used. */
  order: BackendName[];
  /** Candidates whose speed is unknown: time a probe on each and keep the faster (empty when the order is decided). */
  probe: BackendName[];
  /** Why, in one sentence, for the page to show. */
  reason: string;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

export function isSoftwareGpu(text: string | undefined): boolean {
  return !!text && SOFTWARE.test(text);
}

export function chooseBackend(d: DeviceFacts): BackendChoice {
  const gpuSoft = d.webgpu && (d.webgpuFallback === true || isSoftwareGpu(d.webgpuInfo));
  const glSoft = d.webgl && isSoftwareGpu(d.webglRenderer);
  if (d.webgpu && !gpuSoft) {
    if (d.webgpuInfo && d.webgpuInfo.trim() !== '') return { order: ['webgpu', 'wasm', 'cpu'], probe: [], reason: `WebGPU on a hardware adapter (${d.webgpuInfo.trim()})` };
    return { order: ['webgpu', 'wasm', 'cpu'], probe: ['webgpu', 'wasm'], reason: 'WebGPU adapter of unknown kind: the faster of WebGPU and WASM on a probe' };
  }
  if (d.webgl && !glSoft && !d.webgpu) {
    if (d.webglRenderer) return { order: ['webgl', 'wasm', 'cpu'], probe: [], reason: `WebGL on a hardware renderer (${d.webglRenderer})` };
    return { order: ['webgl', 'wasm', 'cpu'], probe: ['webgl', 'wasm'], reason: 'WebGL renderer of unknown kind: the faster of WebGL and WASM on a probe' };
  }
  const skipped = [gpuSoft ? `WebGPU adapter is software (${d.webgpuFallback ? 'fallback adapter' : d.webgpuInfo})` : '', glSoft ? `WebGL renderer is software (${d.webglRenderer})` : ''].filter(Boolean);
  return { order: ['wasm', 'cpu'], probe: [], reason: skipped.length ? `WASM: ${skipped.join('; ')}, slower than WASM` : 'WASM: no GPU backend available' };
}
