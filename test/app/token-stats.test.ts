import { describe, expect, it } from 'vitest';
import { formatDelta, formatProb, tokenStats } from '../../src/app/token-stats';

describe('token figures in the predictions panel', () => {
  it('rank, logit and log-prob of any token, ties ranked by id', () => {
    const logits = Float32Array.from([2, 0, 1, 1]);
    const z = [...logits].reduce((s, x) => s + Math.exp(x), 0);
    const d = { logits, probs: logits.map((x) => Math.exp(x) / z) };
    expect(tokenStats(d, 0).rank).toBe(1);
    expect(tokenStats(d, 2).rank).toBe(2);
    expect(tokenStats(d, 3).rank).toBe(3);
    expect(tokenStats(d, 1)).toMatchObject({ rank: 4, logit: 0 });
    expect(tokenStats(d, 1).logprob).toBeCloseTo(-Math.log(z), 5);
  });
  it('probabilities keep the precision they need (a 50k vocabulary is not all 0.0%)', () => {
    expect(formatProb(0.4213)).toBe('42.1%');
    expect(formatProb(0.0053)).toBe('0.53%');
    expect(formatProb(0.000071)).toBe('0.0071%');
    expect(formatProb(3.2e-9)).toBe('3.2e-9');
    expect(formatProb(0)).toBe('0');
    expect(formatDelta(1.234)).toBe('+1.23');
    expect(formatDelta(-0.4)).toBe('−0.40');
  });
});
