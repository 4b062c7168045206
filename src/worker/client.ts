/** Main-thread handle on the engine worker. The page never imports tfjs; it talks to this. */
import * as Comlink from 'comlink';
import type { EngineApi } from './api';

export type Engine = Comlink.Remote<EngineApi>;

export function startEngine(): { engine: Engine; worker: Worker } {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'pathlight-engine' });
  return { engine: Comlink.wrap<EngineApi>(worker), worker };
}

export { Comlink };

/** True for the rejection of a request superseded by a newer one. */
export function isSuperseded(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || /superseded/.test(e.message));
}
