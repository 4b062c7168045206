import { expect, test } from '@playwright/test';
import { waitReady } from './helpers';

test('500 mixed interactions leave the engine holding as many tensors as before', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?model=polyglot');
  await waitReady(page);
  // The page's own work (predictions, the continuation) done first, so only this test's requests run.
  await expect(page.getByTestId('generation-clean')).toBeVisible({ timeout: 60_000 });
  const r = await page.evaluate(async () => {
    const api = (globalThis as any).__pathlight;
    const eng = api.engine;
    const ids = [3, 17, 40, 5, 22, 9, 31, 12];
    const edit = (i: number) => ({ hook: `blocks.${i % 4}.mlp.hook_post`, index: i % 512, op: i % 3 === 0 ? 'zero' : 'scale', value: i % 3 === 0 ? undefined : -1, positions: i % 2 ? null : [i % 8] });
    const round = async (i: number) => {
      switch (i % 6) {
        case 0: return eng.predict(null, { ids, k: 10, edits: [edit(i)] });
        case 1: return eng.run(null, { inputIds: [ids], capture: ['blocks.1.attn.hook_pattern', 'blocks.2.mlp.hook_post'], logits: 'last' });
        case 2: return eng.run(null, { inputIds: [ids, ids], edits: [[edit(i)], []], capture: ['blocks.0.mlp.hook_post'], target: { kind: 'logit', token: 5 }, logits: 'none' });
        case 3: return eng.attribute(null, { ids, target: { kind: 'logit', token: 5 }, method: 'gxa' });
        case 4: return eng.generate(null, { ids, edits: [edit(i)], maxTokens: 3, sampling: null });
        default: return eng.neuronCard(null, { ids, layer: i % 4, index: i % 512 });
      }
    };
    for (let i = 0; i < 12; i++) await round(i); // warm-up: caches (masks, corpus activations) filled
    const before = await eng.tensorCount();
    for (let i = 0; i < 500; i++) await round(i);
    return { before, after: await eng.tensorCount() };
  });
  expect(r.after).toBe(r.before);
});
