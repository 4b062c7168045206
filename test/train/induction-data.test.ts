import { describe, expect, it } from 'vitest';
import { INDUCTION_CHARS, inductionEvalSet, inductionSequence } from '../../src/train/induction-data';
import { Rng } from '../../src/analysis/rng';

describe('induction data', () => {
  it('repeats a span: the token after each repeated position equals the one after its first occurrence', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 500; n++) {
      const s = inductionSequence(rng, 65, INDUCTION_CHARS.length);
      expect(s.ids).toHaveLength(65);
      expect(s.repeated.length).toBe(s.first.length);
      expect(s.repeated.length).toBeGreaterThanOrEqual(7);
      s.repeated.forEach((p, i) => {
        const f = s.first[i];
        expect(p).toBeGreaterThan(f);
        expect(s.ids[p]).toBe(s.ids[f]);
        expect(s.ids[p + 1]).toBe(s.ids[f + 1]);
        expect(p + 1).toBeLessThan(65);
      });
      // The repeat starts after the first occurrence ends (no overlap).
      expect(s.repeated[0]).toBeGreaterThan(s.first[s.first.length - 1] + 1);
      for (const id of s.ids) expect(id >= 0 && id < INDUCTION_CHARS.length).toBe(true);
    }
  });

  it('is deterministic for a seed', () => {
    expect(inductionEvalSet(5, 65, 64, 3)).toEqual(inductionEvalSet(5, 65, 64, 3));
    expect(inductionEvalSet(5, 65, 64, 3)).not.toEqual(inductionEvalSet(5, 65, 64, 4));
  });

  it('Rng is reproducible from its saved state', () => {
    const a = new Rng(99);
    a.next();
    const b = new Rng(a.state);
    expect([a.next(), a.int(10)]).toEqual([b.next(), b.int(10)]);
  });
});
