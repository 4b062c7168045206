import { expect, test, type Page } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

/** Runs the path on the prompt and opens the card of the last neuron on it. */
async function openCard(page: Page): Promise<void> {
  await page.getByTestId('prompt-input').fill('The cat sat on the mat');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  const node = page.locator('[data-testid=path-graph] g.node[data-role=path]').last();
  await expect(node).toBeVisible({ timeout: 120_000 });
  await node.click();
  await expect(page.getByTestId('card-source')).toBeVisible({ timeout: 60_000 });
}

test('a reference text the user gives is kept in this browser for the model: after a reload the card still reads it and mean ablation works', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await openCard(page);
  await expect(page.getByTestId('card-source')).toContainText('no reference text');
  await expect(page.getByTestId('ablate-mean')).toBeDisabled();
  await page.getByTestId('reference-text').locator('summary').click();
  const text = Array.from({ length: 40 }, (_, i) => `The quick brown fox ${i} jumps over the lazy dog, again and again, line ${i}.`).join('\n');
  await page.getByTestId('reference-text').locator('textarea').fill(text);
  await page.getByTestId('reference-use').click();
  await expect(page.getByTestId('card-source')).toContainText('From pasted text');
  await expect(page.getByTestId('reference-summary')).toContainText('reference text: pasted text (40 windows of up to 64 tokens), kept in this browser for this model');
  const before = await page.getByTestId('card-source').innerText();

  await page.reload();
  await waitReady(page);
  await openCard(page);
  // Restored without asking: the same text, the same windows and tokens, and mean ablation enabled.
  await expect(page.getByTestId('card-source')).toContainText('From pasted text');
  expect(await page.getByTestId('card-source').innerText()).toBe(before);
  await expect(page.getByTestId('reference-summary')).toContainText('kept in this browser for this model');
  await expect(page.getByTestId('ablate-mean')).toBeEnabled();
  await page.getByTestId('ablate-mean').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible();

  // Another model does not see it: induction has its own corpus.txt, not kept.
  await page.goto('/?model=induction');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Xq3fK9aZXq3fK');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  const node = page.locator('[data-testid=path-graph] g.node[data-role=path]').last();
  await expect(node).toBeVisible({ timeout: 120_000 });
  await node.click();
  await expect(page.getByTestId('card-source')).toContainText('From corpus.txt');
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
