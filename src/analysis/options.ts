/** What every long analysis accepts: progress reports and cancellation. */
export interface AnalysisOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Called between steps of long work. In the worker it yields to the scheduler (src/worker/scheduler.ts), so
   * predictions run before a continuation or path search goes on; absent elsewhere.
   */
  pause?: () => Promise<void>;
}

export class AnalysisCancelled extends Error {
  constructor() {
    super('the analysis was cancelled');
    this.name = 'AbortError';
  }
}

export function checkCancelled(o?: AnalysisOptions): void {
  if (o?.signal?.aborted) throw new AnalysisCancelled();
}

/** Between two steps of long work: let higher-priority work run (when scheduled), then check for cancellation. */
export async function betweenSteps(o?: AnalysisOptions): Promise<void> {
  if (o?.pause) await o.pause();
  checkCancelled(o);
}

/** Largest batch of sequences sent to the engine in one call (bounds memory). */
export const MAX_BATCH = 32;
