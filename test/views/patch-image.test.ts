import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { unfoldPatches } from '../../src/engine/inputs';
import { patchAt, toRgba } from '../../src/views/patch-image';

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
});
