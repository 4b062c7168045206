/**
 * Priorities inside the worker. The worker is one thread: long work (a continuation, a path search) must step
 * aside for what the user waits on (predictions after a keystroke or an edit). Each long task calls `pause()`
 * between its steps; `pause` yields to the event loop (so requests sent meanwhile arrive and start) and then waits
 * while any task of higher priority is running. Cancellation is checked at every pause by the caller's signal,
 * so Cancel acts within one step.
 */

/** Lower runs first: predictions, then the analysis the user asked for, then background work (the continuation). */
export const PRIORITIES = { predict: 0, analysis: 1, background: 2 } as const;
export type Priority = (typeof PRIORITIES)[keyof typeof PRIORITIES];

/** A macrotask turn (MessageChannel: no 4 ms clamp as nested setTimeout has), so queued messages are handled. */
export function nextTurn(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

export class Scheduler {
  private running = [0, 0, 0];
  private waiting: Array<() => void> = [];

  /** How many tasks of each priority are running now (for tests and the page's status). */
  get load(): readonly number[] {
    return [...this.running];
  }

  /** Runs `task` at `priority`; it receives the `pause` to call between its steps. */
  async run<T>(priority: Priority, task: (pause: () => Promise<void>) => Promise<T>): Promise<T> {
    this.running[priority]++;
    try {
      await this.pause(priority);
      return await task(() => this.pause(priority));
    } finally {
      this.running[priority]--;
      const w = this.waiting;
      this.waiting = [];
      for (const wake of w) wake();
    }
  }

  /** Yields a turn, then waits while work of a higher priority runs. */
  async pause(priority: Priority, signal?: AbortSignal): Promise<void> {
    await nextTurn();
    while (this.running.slice(0, priority).some((n) => n > 0)) {
      if (signal?.aborted) return;
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }
}
