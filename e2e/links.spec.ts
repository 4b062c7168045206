import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

const FIXTURE = join(import.meta.dirname, '..', 'public', 'models', 'llama-tiny');

test('a link to a model on another origin loads nothing until confirmed', async ({ page }) => {
  const errors = watchConsole(page);
  // "Another origin": localhost instead of the page's 127.0.0.1, answered here from the bundled fixture's files.
  const foreign: string[] = [];
  await page.context().route('http://localhost:9/**', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    foreign.push(name);
    const file = join(FIXTURE, name);
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      return route.fulfill({ status: 404, body: 'not found', headers: { 'access-control-allow-origin': '*' } });
    }
    await route.fulfill({ status: 200, body, headers: { 'access-control-allow-origin': '*', 'content-type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
  });
  await page.goto('/?modelUrl=' + encodeURIComponent('http://localhost:9/models/llama-tiny/'));
  await waitReady(page);
  const ask = page.getByTestId('confirm-model');
  await expect(ask).toContainText('http://localhost:9');
  // The app works on the default model meanwhile, and nothing was fetched from the other origin.
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  expect(foreign).toEqual([]);
  expect(page.url()).toContain('modelUrl=');
  await page.getByTestId('confirm-model-load').click();
  await expect(page.getByTestId('model-info')).toContainText('(llama)');
  await waitReady(page);
  expect(foreign).toContain('model.safetensors');
  await expect(ask).toHaveCount(0);
  expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
});

test('a data: model URL is refused with a notice and the app stays usable', async ({ page }) => {
  await page.goto('/?modelUrl=' + encodeURIComponent('data:application/json,{}'));
  await waitReady(page);
  await expect(page.getByTestId('notice').first()).toContainText('only http(s) addresses are fetched');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
});

test('a link with edits the model cannot run drops them with a notice and never blocks the predictions', async ({ page }) => {
  const edit = (hook: string, index: number, positions: number[] | null) => ({ hook, index, op: 'zero', positions, enabled: true });
  const session = {
    model: { kind: 'bundled', name: 'gpt2-tiny' },
    prompt: 'The cat sat',
    edits: [edit('blocks.99.mlp.hook_post', 3, null), edit('blocks.0.mlp.hook_post', 9_999_999, null), edit('blocks.0.mlp.hook_post', 3, [60_000]), edit('blocks.1.mlp.hook_post', 5, null)],
  };
  await page.goto(`/?t=edits#json=${encodeURIComponent(JSON.stringify(session))}`);
  await waitReady(page);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  const notices = page.getByTestId('notice');
  await expect(notices.filter({ hasText: 'layer 99 does not exist' })).toHaveCount(1);
  // The runnable edit stays and its effect is shown.
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);
  await page.getByTestId('prompt-input').fill('A dog');
  await expect(page.getByTestId('token-chips')).toContainText('dog');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('error')).toHaveCount(0);
});
