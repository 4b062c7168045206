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

/** About how long one step of long work may take in the worker, so Cancel and predictions wait at most that. */
export const STEP_MS = 80;

/**
 * Batch sizes for a loop of engine calls. Outside the worker (no `pause`) always the full batch; in the worker the
 * batch starts small and is resized from each step's time so a step takes about STEP_MS (results do not depend on
 * the batching: every sequence is computed on its own).
 */
export class StepBatch {
  size: number;
  constructor(
    private readonly max: number,
    private readonly o?: AnalysisOptions,
  ) {
    this.size = o?.pause ? Math.min(max, 2) : max;
  }

  async time<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const r = await f();
    if (this.o?.pause) {
      const ms = performance.now() - t0;
      if (ms < STEP_MS / 2) this.size = Math.min(this.max, this.size * 2);
      else if (ms > STEP_MS) this.size = Math.max(1, Math.floor((this.size * STEP_MS) / ms));
    }
    return r;
  }
}

/** Largest batch of sequences sent to the engine in one call (bounds memory). */
export const MAX_BATCH = 32;
