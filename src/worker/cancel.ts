/** Cancellation of stale requests: a newer request with the same key supersedes the older one. */
export class CancelledError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'AbortError';
  }
}

export interface Ticket {
  readonly cancelled: boolean;
  /** Throws CancelledError when a newer request with the same key has arrived. */
  check(): void;
  /** Lets messages already queued for the worker arrive (a newer request may supersede this one), then checks. */
  yield(): Promise<void>;
  signal: AbortSignal;
}

export class Supersede {
  private current = new Map<string, AbortController>();

  take(key: string | null | undefined): Ticket {
    const ctrl = new AbortController();
    if (key) {
      this.current.get(key)?.abort();
      this.current.set(key, ctrl);
    }
    return {
      get cancelled() {
        return ctrl.signal.aborted;
      },
      check() {
        if (ctrl.signal.aborted) throw new CancelledError();
      },
      async yield() {
        await new Promise<void>((r) => setTimeout(r, 0));
        if (ctrl.signal.aborted) throw new CancelledError();
      },
      signal: ctrl.signal,
    };
  }

  cancel(key: string): void {
    this.current.get(key)?.abort();
    this.current.delete(key);
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
