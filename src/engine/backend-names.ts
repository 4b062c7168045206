/** Backend names, free of tfjs so the page can use them without loading the engine. */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];
/** What a session or the URL may ask for: a backend, or the automatic choice. */
export const BACKEND_CHOICES = ['auto', ...BACKEND_ORDER] as const;

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_ORDER as readonly string[]).includes(s);
}
