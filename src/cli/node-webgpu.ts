/** Node-only: exposes WebGPU (Dawn, from the `webgpu` package) as `navigator.gpu` so tfjs can use it. */
import { existsSync } from 'node:fs';
import { fail } from '../engine/errors';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export async function prepareNodeWebGpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let mod: { create: (opts: string[]) => unknown; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    fail(`--backend webgpu: the WebGPU runtime for Node could not be loaded (${(e as Error).message.split('\n')[0]})`);
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}
