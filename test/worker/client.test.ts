import { describe, expect, it } from 'vitest';
import { isSuperseded, supersedingEngine, withProgress, type Engine } from '../../src/worker/client';

/** A stand-in for the worker's remote: each call resolves when the test says so. */
function fakeRemote() {
  const pending: { args: unknown[]; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  const call = (...args: unknown[]) => new Promise((resolve, reject) => pending.push({ args, resolve, reject }));
  const remote = { predict: call, run: call, topK: call, tokenize: call } as unknown as Engine;
  return { remote, pending };
}

const outcome = (p: Promise<unknown>) => p.then((v) => ['ok', v], (e: Error) => [e.name, e.message]);

describe('supersedingEngine', () => {
  it('rejects an older keyed request with AbortError once a newer one with the same key is sent, even if it answers first', async () => {
    const { remote, pending } = fakeRemote();
    const eng = supersedingEngine(remote);
    const older = outcome(eng.predict('clean', { ids: [1], k: 1 }));
    const newer = outcome(eng.predict('clean', { ids: [1, 2], k: 1 }));
    const other = outcome(eng.predict('edited', { ids: [1], k: 1 }));
    pending[0].resolve('stale answer');
    pending[1].resolve('fresh answer');
    pending[2].resolve('other answer');
    expect(await older).toEqual(['AbortError', 'superseded by a newer request']);
    expect(await newer).toEqual(['ok', 'fresh answer']);
    expect(await other).toEqual(['ok', 'other answer']);
  });

  it('passes errors of the latest request through and never supersedes unkeyed requests', async () => {
    const { remote, pending } = fakeRemote();
    const eng = supersedingEngine(remote);
    const a = outcome(eng.run(null, { inputIds: [[1]] }));
    const b = outcome(eng.run(null, { inputIds: [[1]] }));
    const failing = outcome(eng.run('k', { inputIds: [[1]] }));
    pending[0].resolve(1);
    pending[1].resolve(2);
    pending[2].reject(Object.assign(new Error('bad request'), { name: 'PathlightError' }));
    expect(await a).toEqual(['ok', 1]);
    expect(await b).toEqual(['ok', 2]);
    expect(await failing).toEqual(['PathlightError', 'bad request']);
  });

  it('reads the key of topK from its last argument and leaves unkeyed methods alone', async () => {
    const { remote, pending } = fakeRemote();
    const eng = supersedingEngine(remote);
    const first = outcome(eng.topK([1], 3, 'top'));
    const second = outcome(eng.topK([1, 2], 3, 'top'));
    const tok = outcome(eng.tokenize('x'));
    pending.forEach((p, i) => p.resolve(i));
    expect((await first)[0]).toBe('AbortError');
    expect(await second).toEqual(['ok', 1]);
    expect(await tok).toEqual(['ok', 2]);
    expect(isSuperseded(new Error('superseded by a newer request'))).toBe(true);
  });
});

describe('a stopped engine', () => {
  it('rejects what it had not answered, and every later request, as cancelled with the reason', async () => {
    const { remote, pending } = fakeRemote();
    let stop!: (reason: string) => void;
    const eng = supersedingEngine(remote, new Promise<string>((r) => (stop = r)));
    const answered = outcome(eng.predict('clean', { ids: [1], k: 1 }));
    const waiting = outcome(eng.tokenize('x'));
    const keyed = outcome(eng.run('k', { inputIds: [[1]] }));
    pending[0].resolve('answer');
    expect(await answered).toEqual(['ok', 'answer']);
    stop('the worker closed');
    expect(await waiting).toEqual(['AbortError', 'the engine stopped before answering (the worker closed)']);
    expect(await keyed).toEqual(['AbortError', 'the engine stopped before answering (the worker closed)']);
    expect(isSuperseded(new Error('x'))).toBe(false);
    const later = outcome(eng.tokenize('y'));
    expect(await later).toEqual(['AbortError', 'the engine stopped before answering (the worker closed)']);
    expect(pending).toHaveLength(3);
  });
});

describe('withProgress', () => {
  it('passes progress on while the request runs and drops a call that arrives after it settled', async () => {
    const seen: number[] = [];
    let late: ((n: number) => void) | undefined;
    const r = await withProgress(
      (n: number) => seen.push(n),
      async (progress) => {
        progress(1);
        progress(2);
        late = progress;
        return 'result';
      },
    );
    late!(2); // a progress message that trailed the result on its own port
    expect(r).toBe('result');
    expect(seen).toEqual([1, 2]);
  });

  it('falls silent after a failure too', async () => {
    const seen: number[] = [];
    let late: ((n: number) => void) | undefined;
    await expect(
      withProgress(
        (n: number) => seen.push(n),
        async (progress) => {
          late = progress;
          throw new Error('failed');
        },
      ),
    ).rejects.toThrow('failed');
    late!(5);
    expect(seen).toEqual([]);
  });
});
