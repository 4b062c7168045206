/** What every long analysis accepts: progress reports and cancellation. */
export interface AnalysisOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
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

/** Largest batch of sequences sent to the engine in one call (bounds memory). */
export const MAX_BATCH = 32;
