import { describe, expect, it } from 'vitest';
import { PRIORITIES, Scheduler } from '../../src/worker/scheduler';

describe('worker scheduler', () => {
  it('a prediction that arrives while a continuation runs finishes first; the continuation resumes after it', async () => {
    const s = new Scheduler();
    const log: string[] = [];
    const background = s.run(PRIORITIES.background, async (pause) => {
      for (let i = 0; i < 20; i++) {
        log.push(`g${i}`);
        await pause();
      }
    });
    // Arrives a few steps in.
    await new Promise((r) => setTimeout(r, 5));
    const predict = s.run(PRIORITIES.predict, async (pause) => {
      log.push('p-start');
      await pause();
      log.push('p-end');
    });
    await Promise.all([background, predict]);
    const start = log.indexOf('p-start');
    const end = log.indexOf('p-end');
    expect(start).toBeGreaterThan(0);
    // No continuation step runs between the prediction's start and end.
    expect(log.slice(start, end + 1)).toEqual(['p-start', 'p-end']);
    expect(log.filter((x) => x.startsWith('g'))).toHaveLength(20);
  });

  it('analysis waits for predictions but not for the continuation', async () => {
    const s = new Scheduler();
    const order: string[] = [];
    const bg = s.run(PRIORITIES.background, async (pause) => {
      for (let i = 0; i < 5; i++) {
        await pause();
        order.push('bg');
      }
    });
    const an = s.run(PRIORITIES.analysis, async (pause) => {
      for (let i = 0; i < 3; i++) {
        await pause();
        order.push('an');
      }
    });
    await Promise.all([bg, an]);
    expect(order.slice(0, 3)).toEqual(['an', 'an', 'an']);
    expect(s.load).toEqual([0, 0, 0]);
  });
});
