import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, initBackend, isBackendName } from '../../src/engine/backend';
import { PathlightError } from '../../src/engine/errors';
import { chooseBackend, isSoftwareGpu } from '../../src/engine/backend-choice';

describe('initBackend in Node', () => {
  it('auto skips WebGPU and WebGL (no navigator.gpu, no canvas) and lands on single-threaded WASM', async () => {
    expect(BACKEND_ORDER).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(await initBackend('auto')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
  });

  it('switches to a named backend and refuses one that cannot start with a PathlightError', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expect(initBackend('webgpu')).rejects.toThrow(PathlightError);
    await expect(initBackend('webgpu')).rejects.toThrow('the webgpu backend could not be started here');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(isBackendName('webgl')).toBe(true);
    expect(isBackendName('gpu')).toBe(false);
  });
});

describe('chooseBackend: the automatic choice from what the device reports', () => {
  it('prefers WASM when the WebGPU adapter reports itself as a fallback, or is SwiftShader, and WebGL renders in software', () => {
    expect(chooseBackend({ webgpu: true, webgpuFallback: true, webgl: false }).order[0]).toBe('wasm');
    const sw = chooseBackend({ webgpu: true, webgpuInfo: 'google swiftshader', webgl: true, webglRenderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)' });
    expect(sw.order).toEqual(['wasm', 'cpu']);
    expect(sw.probe).toEqual([]);
    expect(sw.reason).toMatch(/WebGPU adapter is software \(google swiftshader\).*WebGL renderer is software/);
    expect(chooseBackend({ webgpu: false, webgl: true, webglRenderer: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).order[0]).toBe('wasm');
  });
  it('takes a hardware WebGPU adapter, probes an adapter of unknown kind against WASM, and falls back to WebGL or WASM', () => {
    expect(chooseBackend({ webgpu: true, webgpuInfo: 'nvidia hopper', webgl: true }).order[0]).toBe('webgpu');
    expect(chooseBackend({ webgpu: true, webgpuInfo: 'nvidia hopper', webgl: true }).probe).toEqual([]);
    expect(chooseBackend({ webgpu: true, webgpuInfo: '', webgl: true }).probe).toEqual(['webgpu', 'wasm']);
    expect(chooseBackend({ webgpu: false, webgl: true, webglRenderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11)' }).order[0]).toBe('webgl');
    expect(chooseBackend({ webgpu: false, webgl: false }).order).toEqual(['wasm', 'cpu']);
    expect(isSoftwareGpu('Apple M2')).toBe(false);
  });
});
