import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../../src/train/svg';
import { bigramLoss, charEncoder, evalWindows } from '../../src/train/text-data';

describe('bigram baseline', () => {
  it('is the add-one smoothed bigram cross-entropy, by hand', () => {
    // V = 3; train "0 1 0 1 2": counts 0→1 ×2, 1→0 ×1, 1→2 ×1.
    const train = Int32Array.from([0, 1, 0, 1, 2]);
    const windows = [[0, 1, 2]];
    // P(1|0) = (2+1)/(2+3), P(2|1) = (1+1)/(2+3)
    const want = -(Math.log(3 / 5) + Math.log(2 / 5)) / 2;
    expect(bigramLoss(train, windows, 3)).toBeCloseTo(want, 12);
  });

  it('evaluation windows are consecutive, non-overlapping T+1 slices from the start', () => {
    const ids = Int32Array.from({ length: 20 }, (_, i) => i);
    expect(evalWindows(ids, 4, 10)).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19]]);
    expect(evalWindows(ids, 4, 2)).toHaveLength(2);
  });

  it('the char encoder maps unknown characters to the last id', () => {
    const enc = charEncoder(['a', 'b']);
    expect(Array.from(enc('abçb'))).toEqual([0, 1, 2, 1]);
  });
});

describe('lineChartSvg', () => {
  it('draws one polyline per series with escaped labels', () => {
    const svg = lineChartSvg(
      [
        { name: 'train <smoothed>', color: '#00f', points: [[1, 4], [2, 3], [3, 2.5]] },
        { name: 'held-out', color: '#f00', points: [[3, 2.7]] },
      ],
      { title: 'a & b', xLabel: 'step', yLabel: 'loss' },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('train &lt;smoothed>');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
