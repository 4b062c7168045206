import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

/** The bundled fixture's own files (no tokenizer.json is sent: prompts are then token ids). */
const MODEL_DIR = join(import.meta.dirname, '..', 'public', 'models', 'gpt2-tiny');
const config = readFileSync(join(MODEL_DIR, 'config.json'));
const weights = readFileSync(join(MODEL_DIR, 'model.safetensors'));

/** A safetensors file whose 8-byte length prefix is fine but whose header is not JSON. */
function headerNotJson(): Buffer {
  const header = Buffer.from('this is { not json', 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(16)]);
}

const BAD_FILES: { what: string; config: Buffer; safetensors: Buffer; message: RegExp }[] = [
  { what: 'a safetensors header that is not JSON', config, safetensors: headerNotJson(), message: /header is not valid JSON/ },
  { what: 'a safetensors file cut in half', config, safetensors: weights.subarray(0, weights.length >> 1), message: /truncated|outside the data section|past the end/ },
  { what: 'a five-byte safetensors file', config, safetensors: Buffer.from([1, 2, 3, 4, 5]), message: /truncated/ },
  { what: 'a config.json that is not JSON', config: Buffer.from('{"n_layer": 2,'), safetensors: weights, message: /config\.json is not valid JSON/ },
];

async function openFiles(page: Page, cfg: Buffer, st: Buffer): Promise<void> {
  await page.getByTestId('file-input').setInputFiles([
    { name: 'config.json', mimeType: 'application/json', buffer: cfg },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: st },
  ]);
}

/** Loads the good files through the file input and checks predictions for an id prompt. */
async function openGoodFilesAndPredict(page: Page): Promise<void> {
  await openFiles(page, config, weights);
  // Local files without a folder or a config `_name_or_path` are named by their files (the bundled copy of the same
  // weights is "gpt2-tiny").
  await expect(page.getByTestId('model-info')).toContainText('config.json + model.safetensors (gpt2): 2 layers, 64 wide');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('3 77 400 12');
  await expect(page.getByTestId('token-chips')).toContainText('#400');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('prediction-list').locator('li').first()).toContainText(/\d+\.\d%/);
}

for (const bad of BAD_FILES) {
  test(`file input: ${bad.what} is refused in place, the loaded model stays usable, a valid load then works`, async ({ page }) => {
    const errors = watchConsole(page);
    await page.goto('/?model=gpt2-tiny');
    await waitReady(page);
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);

    await openFiles(page, bad.config, bad.safetensors);
    await expect(page.getByTestId('error')).toContainText(bad.message);
    await expect(page.locator('body')).toHaveAttribute('data-state', 'ready');
    // The bundled model is still loaded and answers.
    await page.getByTestId('prompt-input').fill('The cat');
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
    await page.screenshot({ path: test.info().outputPath('refused.png') });

    await openGoodFilesAndPredict(page);
    await expect(page.getByTestId('error')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
}

test('a missing bundled model shows its error in place; local files then load', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=no-such-model&backend=cpu');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'error', { timeout: 150_000 });
  await expect(page.getByTestId('error')).toContainText(/models\/no-such-model\/config\.json: (HTTP 404|not found)/);
  await expect(page.getByTestId('backend')).toHaveText('backend: cpu');
  await page.screenshot({ path: test.info().outputPath('missing-model.png') });

  // A bad file first: still an error, in place, and the page still takes files.
  await openFiles(page, config, headerNotJson());
  await expect(page.getByTestId('error')).toContainText(/header is not valid JSON/);
  await openGoodFilesAndPredict(page);
  // Only a 404 of the missing model's config.json may be logged.
  expect(errors.filter((e) => !/Failed to load resource.*404/.test(e))).toEqual([]);
});
