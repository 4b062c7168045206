/**
 * Watches the engine worker: a fatal message from it (wasm abort, WebGPU device lost, the worker closing), an
 * uncaught error, or no answer to a ping for several seconds means the engine is dead; `onDead` then runs once.
 */
import type { Engine } from '../worker/client';

/** Silence longer than this (no ping answered) counts as a dead worker; explicit faults are reported at once. */
const SILENT_MS = 10_000;
const PING_EVERY_MS = 1_000;

export function superviseWorker(worker: Worker, engine: Engine, onDead: (reason: string) => void): () => void {
  let dead = false;
  let lastAnswer = performance.now();
  const die = (reason: string) => {
    if (dead) return;
    dead = true;
    stop();
    onDead(reason);
  };
  const onMessage = (ev: MessageEvent) => {
    lastAnswer = performance.now();
    const fatal = (ev.data as { pathlightFatal?: string } | null)?.pathlightFatal;
    if (fatal) die(fatal);
  };
  const onError = (ev: ErrorEvent) => die(`the engine worker failed${ev.message ? ` (${ev.message})` : ''}`);
  worker.addEventListener('message', onMessage);
  worker.addEventListener('error', onError);
  const timer = setInterval(() => {
    if (performance.now() - lastAnswer > SILENT_MS) die(`the engine has not answered for ${SILENT_MS / 1000} s`);
    else
      void engine.ping().then(
        () => (lastAnswer = performance.now()),
        () => {},
      );
  }, PING_EVERY_MS);
  function stop() {
    clearInterval(timer);
    worker.removeEventListener('message', onMessage);
    worker.removeEventListener('error', onError);
  }
  return stop;
}
