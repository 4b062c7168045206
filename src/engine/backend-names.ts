/** Backend names, free of tfjs so the page can use them without loading the engine. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_ORDER as string[]).includes(s);
}
