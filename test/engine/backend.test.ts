import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, initBackend, isBackendName } from '../../src/engine/backend';
import { PathlightError } from '../../src/engine/errors';

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
