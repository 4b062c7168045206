/** Node-only: exposes WebGPU (Dawn, from the `webgpu` package) as `navigator.gpu` so tfjs can use it. */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
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
  // tfjs-backend-webgpu registers itself only in a browser or worker; in Node it is registered here, on the
  // same adapter and device settings it would use there.
  if (!tf.findBackendFactory('webgpu')) {
    tf.registerBackend('webgpu', async () => {
      const adapter = await (gpu as GPU).requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) throw new Error('no WebGPU adapter (is libvulkan.so.1 loadable? see bin/pathlight.mjs)');
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      return new WebGPUBackend(device, adapter.info);
    }, 1);
  }
}
