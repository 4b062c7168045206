/** Column widths: the drag rule, the minimums, and what localStorage keeps. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLUMNS, dragColumns, gridTemplate, loadColumns, MIN_COLUMN_PX, saveColumns } from '../../src/app/columns';

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

describe('columns', () => {
  it('the default template is the grid the 1280×800 layout was made for', () => {
    expect(gridTemplate(DEFAULT_COLUMNS)).toBe('minmax(330px, 1fr) 10px minmax(420px, 2fr) 10px minmax(260px, 0.9fr)');
  });

  it('a drag trades width between the two neighbours only, never below a minimum, and shares follow the widths', () => {
    const w: [number, number, number] = [400, 560, 300];
    const d = dragColumns(w, 0, 80);
    expect(d.map((x) => x * 100)).toEqual([480, 480, 300]);
    const e = dragColumns(w, 1, -200);
    expect(e[1] * 100).toBeCloseTo(MIN_COLUMN_PX[1], 9);
    expect(e[2] * 100).toBeCloseTo(560 + 300 - MIN_COLUMN_PX[1], 9);
    expect(e[0] * 100).toBeCloseTo(400, 9);
    expect(dragColumns(w, 0, -500)[0] * 100).toBeCloseTo(MIN_COLUMN_PX[0], 9);
    expect(dragColumns(w, 1, 1000)[2] * 100).toBeCloseTo(MIN_COLUMN_PX[2], 9);
  });

  it('keeps sizes in storage and ignores what is not three positive numbers', () => {
    const s = memory();
    expect(loadColumns(s)).toEqual(DEFAULT_COLUMNS);
    saveColumns([4.8, 4.8, 3], s);
    expect(loadColumns(s)).toEqual([4.8, 4.8, 3]);
    for (const bad of ['[1,2]', '[1,-2,3]', '"x"', '{', '[1,2,"3"]']) {
      s.setItem('pathlight.columns.v1', bad);
      expect(loadColumns(s)).toEqual(DEFAULT_COLUMNS);
    }
    saveColumns(null, s);
    expect(s.m.size).toBe(0);
    expect(loadColumns(null)).toEqual(DEFAULT_COLUMNS);
  });
});
