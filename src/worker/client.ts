/** Main-thread handle on the engine worker. The page never imports tfjs; it talks to this. */
import * as Comlink from 'comlink';
import type { EngineApi } from './api';

export type Engine = Comlink.Remote<EngineApi>;

/** Which argument of a keyed method is its request key (see EngineApi). */
const KEY_ARG: Partial<Record<keyof EngineApi, number>> = {
  run: 0,
  predict: 0,
  path: 0,
  classPaths: 0,
  topImages: 0,
  attribute: 0,
  generate: 0,
  neuronCard: 0,
  faithfulnessMeter: 0,
  dla: 0,
  lens: 0,
  steeringVector: 0,
  layerEdges: 0,
  steeringSweep: 0,
  topK: 2,
};

/** The rejection of a request superseded by a newer one with the same key. */
export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'AbortError';
  }
}

/** The rejection of a request still pending when its engine stopped (the restarted engine is asked again). */
export class EngineStoppedError extends Error {
  constructor(reason: string) {
    super(`the engine stopped before answering (${reason})`);
    this.name = 'AbortError';
  }
}

/**
 * Wraps the worker's remote so that keyed requests are superseded on this side too: once a newer request with
 * the same key has been sent, an older one rejects with an AbortError even if the worker had already finished
 * it, so a stale answer can never overwrite a fresh one. (The worker also stops stale requests early.)
 * Once `stopped` settles (the worker is dead or terminated), every request still pending, and every later one,
 * rejects with an EngineStoppedError instead of waiting forever for a worker that will not answer.
 */
export function supersedingEngine(remote: Engine, stopped?: Promise<string>): Engine {
  const latest = new Map<string, number>();
  let seq = 0;
  let dead: string | null = null;
  const onStop = stopped?.then((reason) => {
    dead = reason;
    throw new EngineStoppedError(reason);
  });
  onStop?.catch(() => {});
  return new Proxy(remote, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      // Comlink answers `then` itself (a remote is not a promise); symbols are its internals.
      if (typeof prop !== 'string' || prop === 'then') return value;
      const at = KEY_ARG[prop as keyof EngineApi];
      return (...args: unknown[]) => {
        if (dead !== null) return Promise.reject(new EngineStoppedError(dead));
        const raw = (value as (...a: unknown[]) => Promise<unknown>)(...args);
        const call = onStop ? Promise.race([raw, onStop]) : raw;
        const key = at === undefined ? undefined : args[at];
        if (typeof key !== 'string' || key === '') return call;
        const mine = ++seq;
        latest.set(key, mine);
        const stale = () => latest.get(key) !== mine;
        return call.then(
          (r) => {
            if (stale()) throw new SupersededError();
            return r;
          },
          (e) => {
            throw stale() ? new SupersededError() : e;
          },
        );
      };
    },
  });
}

/** A new engine worker; `stop` terminates it and rejects whatever it had not answered. */
export function startEngine(): { engine: Engine; worker: Worker; stop: (reason: string) => void } {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'pathlight-engine' });
  let stop!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  return {
    engine: supersedingEngine(Comlink.wrap<EngineApi>(worker), stopped),
    worker,
    stop: (reason) => {
      worker.terminate();
      stop(reason);
    },
  };
}

export { Comlink };

/**
 * Runs one request with a progress callback that falls silent once the request settles. Progress travels on its own
 * message port, so its last call can arrive after the result: unguarded, it would show a finished request as running.
 */
export async function withProgress<A extends unknown[], R>(onProgress: (...args: A) => void, request: (progress: (...args: A) => void) => Promise<R>): Promise<R> {
  let open = true;
  const progress = Comlink.proxy((...args: A) => {
    if (open) onProgress(...args);
  });
  try {
    return await request(progress);
  } finally {
    open = false;
  }
}

/** True for the rejection of a request superseded by a newer one. */
export function isSuperseded(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || /superseded/.test(e.message));
}
