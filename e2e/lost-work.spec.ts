import { expect, test } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

test('type during a Run: the old path is never shown for the new prompt', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=polyglot');
  await waitReady(page);
  const input = page.getByTestId('prompt-input');
  await input.fill('Der Hund ist sehr gross und die Katze');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  await input.fill('El');
  await expect(page.getByTestId('token-chips')).toContainText('E');
  // Whatever the run does, no path computed for the long prompt appears beside the two-token one.
  for (let i = 0; i < 10; i++) {
    const ids = await page.locator('[data-testid=path-graph] g.node[data-role=path]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id') ?? ''));
    for (const id of ids) expect(Number(id.split('@')[1])).toBeLessThan(2);
    await page.waitForTimeout(300);
  }
  expect(errors).toEqual([]);
});

test('reload 50 ms after an edit: the edit is there', async ({ page }) => {
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await page.evaluate(() => (globalThis as any).__pathlight.addEdit({ hook: 'blocks.1.mlp.hook_post', index: 7, op: 'zero', positions: null }, 'zero L1.N7'));
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await page.waitForTimeout(50);
  await page.reload();
  await waitReady(page);
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('edits-list')).toContainText('zero L1.N7');
});

test('a model switch keeps the prompt and the edits the new model runs, and sets the others aside', async ({ page }) => {
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('The cat sat');
  await page.evaluate(() => {
    const api = (globalThis as any).__pathlight;
    api.addEdit({ hook: 'blocks.1.mlp.hook_post', index: 7, op: 'zero', positions: null }, 'zero L1.N7');
    api.addEdit({ hook: 'blocks.0.mlp.hook_post', index: 250, op: 'zero', positions: null }, 'zero L0.N250');
  });
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(2);
  await page.getByTestId('model-picker').selectOption('llama-tiny');
  await expect(page.getByTestId('model-info')).toContainText('llama-tiny (');
  await waitReady(page);
  await expect(page.getByTestId('prompt-input')).toHaveValue('The cat sat');
  // llama-tiny has 128 MLP neurons: L1.N7 runs there, L0.N250 does not.
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('set-aside')).toContainText('1 edit from gpt2-tiny set aside');
  await page.getByTestId('model-picker').selectOption('gpt2-tiny');
  await expect(page.getByTestId('model-info')).toContainText('gpt2-tiny (');
  await waitReady(page);
  await page.getByTestId('restore-set-aside').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('set-aside')).toHaveCount(0);
});

test('six rapid model switches end on the last model with no error shown', async ({ page }) => {
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  const picker = page.getByTestId('model-picker');
  for (const m of ['polyglot', 'induction', 'llama-tiny', 'pythia-tiny', 'gptneo-tiny', 'polyglot']) await picker.selectOption(m);
  await expect(page.getByTestId('model-info')).toContainText('polyglot (');
  await waitReady(page);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
});
