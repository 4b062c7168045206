import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { waitReady, watchConsole } from './helpers';

/**
 * vit-tiny (a copy of ../shared/fixtures/vit-tiny, with numbers from an independent PyTorch implementation) opened
 * in the page from a folder URL: the raw image preprocessed in the worker, logits, every hook, the gradients and
 * every intervention, within 1e-4 + 1e-3·|ref|, on the backends the browser runs here.
 */
const DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'vit-tiny');
const ref = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8'));
const FILES = ['config.json', 'preprocessor_config.json', 'model.safetensors'];

for (const backend of ['wasm', 'cpu']) {
  test(`?backend=${backend}: vit-tiny matches its PyTorch reference, from the raw image on`, async ({ page }) => {
    const errors = watchConsole(page);
    await page.route('**/fixture/vit-tiny/*', (route) => {
      const file = new URL(route.request().url()).pathname.split('/').pop()!;
      if (!FILES.includes(file)) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ status: 200, body: readFileSync(join(DIR, file)), headers: { 'Content-Type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
    });
    await page.goto(`/?backend=${backend}&model=gpt2-tiny`);
    await waitReady(page);
    await page.getByTestId('model-url').fill(new URL('/fixture/vit-tiny/', page.url()).href);
    await page.getByTestId('model-url').press('Enter');
    await expect(page.getByTestId('model-info')).toContainText('vit-tiny (vit)', { timeout: 60_000 });
    await waitReady(page);
    // The raw 32×32 RGB image as a PNG (lossless): decoded and preprocessed by the worker as the app does.
    const [H, W, C] = ref.raw_image_uint8.shape;
    const png = encodePng({ width: W, height: H, channels: C, depth: 8, data: Uint8Array.from(ref.raw_image_uint8.data) });
    const ratios: Record<string, number> = await page.evaluate(
      async ({ ref, png }) => {
        const api = (globalThis as any).__pathlight;
        const worst = (a: ArrayLike<number>, r: number[]) => {
          if (a.length !== r.length) return Infinity;
          let w = 0;
          for (let i = 0; i < r.length; i++) w = Math.max(w, Math.abs(a[i] - r[i]) / (1e-4 + 1e-3 * Math.abs(r[i])));
          return w;
        };
        const out: Record<string, number> = {};
        const prepared = await api.engine.prepareImage(new Uint8Array(png), 'raw.png');
        out.preprocessing = worst(prepared.pixels.data, ref.pixel_values.data);
        const one = { shape: [1, ...ref.pixel_values.shape], data: Float32Array.from(ref.pixel_values.data) };
        const capture = Object.keys(ref.activations);
        const res = await api.run({ pixelValues: one, capture, target: { kind: 'logit', token: ref.target.class } });
        out.logits = worst(res.logits.data, ref.logits.data);
        for (const h of capture) out[`act ${h}`] = worst(res.activations[h].data, ref.activations[h].data);
        for (const h of Object.keys(ref.grad_target_logit_wrt_mlp_post)) out[`grad ${h}`] = worst(res.grads[h].data, ref.grad_target_logit_wrt_mlp_post[h].data);
        for (let i = 0; i < ref.interventions.length; i++) {
          const edits = ref.interventions[i].edits.map((e: any) => ({ hook: e.hook, index: e.neuron, op: e.kind, value: e.value ?? undefined, positions: e.position === null ? null : [e.position] }));
          const r = await api.run({ pixelValues: one, edits, logits: 'last' });
          out[`intervention ${i}`] = worst(r.logits.data, ref.interventions[i].logits);
        }
        return out;
      },
      { ref, png: Array.from(png) },
    );
    expect(Object.keys(ratios).length).toBeGreaterThan(2 + Object.keys(ref.activations).length);
    for (const [k, v] of Object.entries(ratios)) expect(v, `${backend} ${k}`).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
  });
}
