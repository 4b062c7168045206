import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { unfoldPatches } from '../../src/engine/inputs';
import { patchAt, patchRect, toRgba } from '../../src/views/patch-image';

const cfg = parseConfig(readFileSync(join('public/models/digits-vit', 'config.json'), 'utf8'));
const v = cfg.vision!;

describe('the image overlay\'s patch geometry', () => {
  it('names the patch a pixel belongs to as the engine\'s patch tokens do (unfoldPatches rows)', () => {
    const [H, W] = v.imageSize;
    const scale = 8;
    const F = v.channels * v.patchSize * v.patchSize;
    for (const [x, y] of [[0, 0], [6, 0], [7, 0], [27, 3], [3, 27], [13, 14], [27, 27]]) {
      const data = new Float32Array(v.channels * H * W);
      data[y * W + x] = 1;
      const rows = unfoldPatches(cfg, { shape: [1, v.channels, H, W], data });
      const row = Math.floor(rows.indexOf(1) / F);
      // The centre of the pixel on screen, scaled up.
      expect(patchAt({ width: W, height: H }, { patchSize: v.patchSize, scale }, (x + 0.5) * scale, (y + 0.5) * scale)).toBe(row);
    }
    expect(patchAt({ width: W, height: H }, { patchSize: v.patchSize, scale }, W * scale + 1, 0)).toBeNull();
    expect(patchAt({ width: W, height: H }, { patchSize: v.patchSize, scale }, -1, 5)).toBeNull();
  });

  it('spreads grayscale to RGB and keeps RGBA alpha', () => {
    expect(Array.from(toRgba({ width: 2, height: 1, channels: 1, data: Uint8Array.from([10, 200]) }))).toEqual([10, 10, 10, 255, 200, 200, 200, 255]);
    expect(Array.from(toRgba({ width: 1, height: 1, channels: 4, data: Uint8Array.from([1, 2, 3, 4]) }))).toEqual([1, 2, 3, 4]);
    expect(Array.from(toRgba({ width: 1, height: 1, channels: 2, data: Uint8Array.from([9, 50]) }))).toEqual([9, 9, 9, 50]);
  });

  it('places a patch on the original image: resize to the processor\'s size, then center crop (DeiT: 256 → 224)', () => {
    // digits-vit: resized to 28×28, no crop; patch 5 is row 1, column 1 of the 4×4 grid.
    expect(patchRect(v, 5)).toEqual({ left: 7 / 28, top: 7 / 28, width: 7 / 28, height: 7 / 28 });
    expect(patchRect(v, 15)).toEqual({ left: 21 / 28, top: 21 / 28, width: 7 / 28, height: 7 / 28 });
    const deit = { patchSize: 16, grid: [14, 14] as [number, number], imageSize: [224, 224] as [number, number], preprocess: { ...v.preprocess, resize: { height: 256, width: 256, resample: 3 }, centerCrop: { height: 224, width: 224 } } };
    expect(patchRect(deit, 0)).toEqual({ left: 16 / 256, top: 16 / 256, width: 16 / 256, height: 16 / 256 });
    expect(patchRect(deit, 14 * 13 + 13)).toEqual({ left: (16 + 13 * 16) / 256, top: (16 + 13 * 16) / 256, width: 16 / 256, height: 16 / 256 });
    // No resize: the image's own size, before the crop.
    const noResize = { ...deit, preprocess: { ...deit.preprocess, resize: null } };
    expect(patchRect(noResize, 0, { width: 300, height: 240 })).toEqual({ left: 38 / 300, top: 8 / 240, width: 16 / 300, height: 16 / 240 });
  });
});
