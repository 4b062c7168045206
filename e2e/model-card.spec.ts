import { expect, test } from '@playwright/test';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

const TINY = join(import.meta.dirname, '..', 'public', 'models', 'gpt2-tiny');
const HOSTILE = [
  '# Hostile card',
  '',
  'Text <img src=x onerror="window.pwned=1"> and <script>window.pwned=2</script>.',
  '',
  '[click](javascript:window.pwned=3) and [fine](https://example.com/ok)',
].join('\n');

async function openCard(page: import('@playwright/test').Page) {
  await page.getByTestId('model-card').locator('summary').click();
}

test('the model card: MODEL.md of a bundled model as safe Markdown, a model without one says so, no HTML is injected', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  await openCard(page);
  const body = page.getByTestId('model-card-body');
  await expect(body.locator('h3').first()).toHaveText('polyglot — a character-level GPT-2 in four languages');
  await expect(body.locator('table').first()).toBeVisible();
  await expect(body).toContainText('AdamW');

  // gpt2-tiny has no MODEL.md.
  await page.getByTestId('model-picker').selectOption('gpt2-tiny');
  await expect(page.getByTestId('model-info')).toContainText('gpt2-tiny (');
  await expect(page.getByTestId('model-card-none')).toHaveText('gpt2-tiny has no model card (no MODEL.md beside its weights).');

  // A card with HTML and a javascript: link, served with a model from this origin: shown as text, nothing runs.
  await page.route('**/card-models/hostile/*', (route) => {
    const file = new URL(route.request().url()).pathname.split('/').pop()!;
    if (file === 'MODEL.md') return route.fulfill({ body: HOSTILE, contentType: 'text/markdown' });
    if (!['config.json', 'model.safetensors', 'tokenizer.json'].includes(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ body: readFileSync(join(TINY, file)) });
  });
  await page.getByTestId('model-url').fill('/card-models/hostile/');
  await page.getByTestId('model-url').press('Enter');
  await expect(page.getByTestId('model-info')).toContainText('hostile (');
  await expect(page.getByTestId('model-card-body')).toContainText('<script>window.pwned=2</script>');
  await expect(page.getByTestId('model-card-body')).toContainText('<img src=x onerror="window.pwned=1">');
  expect(await page.getByTestId('model-card-body').locator('img, script').count()).toBe(0);
  const hrefs = await page.getByTestId('model-card-body').locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(hrefs).toEqual(['https://example.com/ok']);
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  expect(errors).toEqual([]);
});

test('a local model is named from its folder, else from its config; its MODEL.md is its card', async ({ page }) => {
  const errors = watchConsole(page);
  const root = test.info().outputPath('local');
  const folder = join(root, 'my-tiny-gpt');
  mkdirSync(folder, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(TINY, f), join(folder, f));
  writeFileSync(join(folder, 'MODEL.md'), '# My tiny GPT\n\nA **local** card.\n');
  const loose = join(root, 'loose');
  mkdirSync(loose, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'));
  writeFileSync(join(loose, 'config.json'), JSON.stringify({ ...cfg, _name_or_path: 'someone/tiny-gpt2' }));
  copyFileSync(join(TINY, 'model.safetensors'), join(loose, 'model.safetensors'));

  await page.goto('/');
  await waitReady(page);
  await page.getByTestId('folder-input').setInputFiles(folder);
  await expect(page.getByTestId('model-info')).toContainText('my-tiny-gpt (gpt2)');
  await expect(page.getByTestId('model-picker')).toContainText('my-tiny-gpt');
  await openCard(page);
  await expect(page.getByTestId('model-card-body').locator('h3')).toHaveText('My tiny GPT');
  await expect(page.getByTestId('model-card-body').locator('strong')).toHaveText('local');

  await page.getByTestId('file-input').setInputFiles([join(loose, 'config.json'), join(loose, 'model.safetensors')]);
  await expect(page.getByTestId('model-info')).toContainText('someone/tiny-gpt2 (gpt2)');
  await expect(page.getByTestId('model-card-none')).toContainText('someone/tiny-gpt2 has no model card: the files opened include no MODEL.md or README.md.');
  expect(errors).toEqual([]);
});
