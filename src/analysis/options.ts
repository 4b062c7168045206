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
 * batch starts small and is resized from each step's time so a step takes about STEP_MS — or, where one engine
 * call has a large fixed cost, at most the shortest step seen plus the larger of STEP_MS and half of it (results do
 * not depend on the batching: every sequence is computed on its own).
 *
 * Why the second bound: a step's time is a fixed cost (one kernel launch per operation, the weights read once)
 * plus a small cost per sequence. At GPT-2-small size one suffix run with gradients costs about 490 ms for one
 * sequence and 1,160 ms for eight (measured 2026-12-02), so holding steps to 80 ms would run every sequence alone,
 * at several times the cost per sequence; allowing some of the fixed cost again lets a step batch what costs little
 * to add. It was twice the shortest step; that let a CPU-backend step run to ~350 ms where its fixed cost was
 * ~150 ms, past the 250 ms a Cancel may wait (e2e/scheduler.spec.ts, CI 2026-12-03).
 */
export class StepBatch {
  size: number;
  /** The shortest step seen (about the fixed cost of one engine call). */
  private shortest = Infinity;
  /** The largest size that stayed within the budget after a step exceeded it. */
  private cap: number;
  constructor(
    private readonly max: number,
    private readonly o?: AnalysisOptions,
  ) {
    this.size = o?.pause ? Math.min(max, 2) : max;
    this.cap = max;
  }

  /** The step time allowed now, ms. */
  get budget(): number {
    return Math.max(STEP_MS, this.shortest + Math.max(STEP_MS, this.shortest / 2));
  }

  async time<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const r = await f();
    if (this.o?.pause) this.observe(performance.now() - t0);
    return r;
  }

  /** Resizes from one step's time (exposed for tests). */
  observe(ms: number): void {
    this.shortest = Math.min(this.shortest, ms);
    const budget = this.budget;
    if (ms > budget) {
      this.cap = Math.max(1, Math.floor((this.size * budget) / ms));
      this.size = this.cap;
    } else {
      // Double when the doubled step is predicted to fit: the shortest step's time plus this step's cost per
      // sequence above it (a step's time is a fixed cost and a cost per sequence).
      const perSequence = Math.max(0, ms - this.shortest) / this.size;
      if (this.shortest + perSequence * this.size * 2 <= budget && ms * 2 <= budget + this.shortest) this.size = Math.min(this.cap, this.size * 2);
    }
  }
}

/** Largest batch of sequences sent to the engine in one call (bounds memory). */
export const MAX_BATCH = 32;
