/// <reference lib="webworker" />
/**
 * A fault that leaves the engine unusable (a wasm abort, a lost WebGPU device, the worker closing) is told to the
 * page at once, which restarts the worker; requests that fail because of one report it too.
 */
import * as tf from '@tensorflow/tfjs';

const FATAL = /Aborted\(|memory access out of bounds|RuntimeError|unreachable|device (was )?lost|is destroyed/i;

function reportFatal(e: unknown): void {
  self.postMessage({ pathlightFatal: e instanceof Error ? e.message : String(e) });
}

/** Reports the loss of the WebGPU device (when that is the backend). */
export function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
  void device?.lost?.then((info) => reportFatal(`the WebGPU device was lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`));
}

/** Wraps every method of the API so a fatal fault is reported, and reports the worker closing. */
export function reportFatalFaults(api: object): void {
  const close = self.close.bind(self);
  self.close = () => {
    reportFatal('the engine worker closed');
    close();
  };
  for (const [name, fn] of Object.entries(api)) {
    (api as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (e) {
        if (FATAL.test(e instanceof Error ? `${e.name} ${e.message}` : String(e))) reportFatal(e);
        throw e;
      }
    };
  }
}
