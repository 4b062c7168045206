import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '../test/hub/hub-server';
import { decodeSession } from '../src/session/codec';
import { waitReady, watchConsole } from './helpers';

/**
 * Hub models by name against a local stand-in for the hub (test/hub/hub-server.ts, loopback, CORS): each
 * architecture fixture whole and sharded opens by `owner/name` with progress, is kept in Cache Storage and reopens
 * with the server stopped; each failure is said and the working model stays; a cancelled download leaves no tensor
 * and nothing cached; a link's foreign endpoint is confirmed first.
 */
const OWNER = 'pathlight-test';
const REPOS = ['gpt2-tiny', 'gpt2-tiny-sharded', 'gptneo-tiny', 'gptneo-tiny-sharded', 'pythia-tiny', 'pythia-tiny-sharded', 'llama-tiny', 'llama-tiny-sharded', 'gpt2-cdn'];
const ARCH: Record<string, string> = { gpt2: 'gpt2', gptneo: 'gpt_neo', pythia: 'gpt_neox', llama: 'llama' };
const refOf = (fixture: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', fixture, 'reference.json'), 'utf8'));
const fixtureOf = (repo: string) => (repo === 'gpt2-cdn' ? 'gpt2-tiny' : repo.replace(/-sharded$/, ''));

let server: HubServer;
test.beforeEach(async () => {
  server = await startHubServer({ slowMs: 150 });
});
test.afterEach(async () => {
  await server.close().catch(() => {});
});

async function openPanel(page: Page): Promise<void> {
  const panel = page.getByTestId('hub-panel');
  if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
}

async function useEndpoint(page: Page, endpoint: string): Promise<void> {
  await openPanel(page);
  await page.getByTestId('hub-endpoint').fill(endpoint);
  await page.getByTestId('hub-endpoint-save').click();
}

async function openByName(page: Page, name: string): Promise<void> {
  await openPanel(page);
  await page.getByTestId('hub-name').fill(name);
  await page.getByTestId('hub-open').click();
}

/** The worst reference ratio of the loaded model's logits on the fixture's input (≤ 1: matches PyTorch). */
async function worstLogits(page: Page, fixture: string): Promise<number> {
  const ref = refOf(fixture);
  return page.evaluate(async (ref) => {
    const res = await (globalThis as any).__pathlight.run({ inputIds: [ref.input_ids] });
    let w = 0;
    for (let i = 0; i < ref.logits.data.length; i++) w = Math.max(w, Math.abs(res.logits.data[i] - ref.logits.data[i]) / (1e-4 + 1e-3 * Math.abs(ref.logits.data[i])));
    return res.logits.data.length === ref.logits.data.length ? w : Infinity;
  }, ref);
}

async function expectOpened(page: Page, repo: string): Promise<void> {
  const fixture = fixtureOf(repo);
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/${repo} (${ARCH[fixture.split('-')[0]]})`);
  await waitReady(page);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  expect(await worstLogits(page, fixture), repo).toBeLessThanOrEqual(1);
}

test('every fixture opens by owner/name with progress, is kept offline, and reopens with the server stopped', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  await useEndpoint(page, server.endpoint);
  // Progress in MB and MB/s while the weights trickle in.
  await openByName(page, `${OWNER}/slow`);
  await expect(page.getByTestId('load-progress')).toContainText(/downloading model\.safetensors [\d.]+ \/ 0\.55 MB \([\d.]+ MB\/s\)/);
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/slow (gpt2)`, { timeout: 90_000 });
  await waitReady(page);
  for (const repo of REPOS) {
    await openByName(page, `${OWNER}/${repo}`);
    await expectOpened(page, repo);
  }
  expect(server.requests.some((r) => r.startsWith('GET cdn/blobs/'))).toBe(true);
  const items = page.getByTestId('hub-cached-item');
  await expect(items).toHaveCount(REPOS.length + 1);
  await expect(items.filter({ hasText: `${OWNER}/gpt2-tiny@main` })).toContainText(/5\d\d kB/);
  await expect(items.filter({ hasText: '(incomplete)' })).toHaveCount(0);
  expect(page.url()).toContain(`hfEndpoint=${encodeURIComponent(server.endpoint)}`);
  await page.screenshot({ path: test.info().outputPath('hub-panel.png') });

  // The link follows the model (written after its quiet time): it names the last one opened.
  await expect.poll(() => decodeSession(new URL(page.url()).hash.slice(1)).session.model).toMatchObject({ kind: 'hub', name: `${OWNER}/gpt2-cdn` });
  // No network: the server is gone; a reload restores the session's hub model, and every model reopens.
  await server.close();
  await page.reload();
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/gpt2-cdn (gpt2)`);
  await waitReady(page);
  await expect(page.getByTestId('confirm-model')).toHaveCount(0);
  for (const repo of REPOS.slice(0, -1)) {
    await openByName(page, `${OWNER}/${repo}`);
    await expectOpened(page, repo);
  }
  await expect(page.getByTestId('error')).toHaveCount(0);

  // Deleting one: it is gone from the list, and without the server it can no longer open.
  await openPanel(page);
  await items.filter({ hasText: `${OWNER}/pythia-tiny@main` }).getByTestId('hub-cached-delete').click();
  await expect(items).toHaveCount(REPOS.length);
  await openByName(page, `${OWNER}/pythia-tiny`);
  await expect(page.getByTestId('error')).toContainText(/could not reach http:\/\/127\.0\.0\.1:\d+ for config\.json .*not in the offline cache/);
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/llama-tiny-sharded (llama)`);
  expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
});

const FAILURES: Array<[string, RegExp]> = [
  ['gated', /pathlight-test\/gated@main is gated: accept its terms at http:\/\/127\.0\.0\.1:\d+\/pathlight-test\/gated while signed in, then the workbench downloads public models only/],
  ['private', /the hub has no public repository pathlight-test\/private \(HTTP 401/],
  ['gone', /the hub has no public repository pathlight-test\/gone \(HTTP 404/],
  ['gpt2-tiny@nope', /has no revision "nope"/],
  ['broken', /server error on model\.safetensors \(HTTP 500\)/],
  ['cdn-expired', /the hub sent model\.safetensors to its file storage at http:\/\/127\.0\.0\.1:\d+, which answered HTTP 403/],
  ['truncated', /the download of model\.safetensors was cut short \(\d+ of 550488 bytes arrived\); nothing of it was kept/],
  ['pytorch-only', /has only PyTorch weights \(pytorch_model\.bin\)/],
  ['huge', /needs about [\d.]+ GB on wasm .*does not fit in the 4\.29 GB of the WASM heap/],
];

test('each way a download fails is said, and the working model keeps working', async ({ page }) => {
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await useEndpoint(page, server.endpoint);
  for (const [name, message] of FAILURES) {
    await openByName(page, `${OWNER}/${name}`);
    await expect(page.getByTestId('error')).toContainText(message);
    await waitReady(page);
    await expect(page.getByTestId('model-info')).toContainText('gpt2-tiny (gpt2)');
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
    await page.getByTestId('error').getByRole('button', { name: 'dismiss' }).click();
  }
  expect(server.requests.filter((r) => r.includes('/huge/') && r.includes('.safetensors'))).toEqual([]);
  const keys: string[] = await page.evaluate(async () => (await (await caches.open('pathlight-hub-v1')).keys()).map((r) => r.url));
  expect(keys.filter((k) => /\/(truncated|broken|cdn-expired)\/resolve\/main\/model\.safetensors$/.test(k))).toEqual([]);
});

test('a cancelled download leaves no tensor, nothing cached, and the previous model working', async ({ page }) => {
  await page.goto('/?model=llama-tiny');
  await waitReady(page);
  await useEndpoint(page, server.endpoint);
  const count = () => page.evaluate(() => (globalThis as any).__pathlight.engine.tensorCount());
  // The page's own work (predictions, the continuation) done first: its tensors are not the download's.
  await expect(page.getByTestId('generation-clean')).toBeVisible({ timeout: 60_000 });
  const before = await count();
  await openByName(page, `${OWNER}/slow`);
  await expect(page.getByTestId('load-progress')).toContainText(/downloading model\.safetensors [\d.]+ \/ 0\.55 MB/);
  await page.getByTestId('load-cancel').click();
  await expect(page.getByTestId('error')).toContainText('loading was cancelled');
  await waitReady(page);
  await expect(page.getByTestId('model-info')).toContainText('llama-tiny (llama)');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  // The restored model's predictions and continuation run again; once they are done, the count is the old one.
  await expect.poll(count, { timeout: 30_000 }).toBe(before);
  const keys: string[] = await page.evaluate(async () => (await (await caches.open('pathlight-hub-v1')).keys()).map((r) => r.url));
  expect(keys.filter((k) => k.endsWith('/slow/resolve/main/model.safetensors'))).toEqual([]);
  await openPanel(page);
  await expect(page.getByTestId('hub-cached-item').filter({ hasText: `${OWNER}/slow@main` })).toContainText('(incomplete)');
});

test('a link naming a hub model on an endpoint elsewhere fetches nothing until confirmed', async ({ page }) => {
  const link = `/?model=${encodeURIComponent(`hf:${OWNER}/llama-tiny-sharded`)}&hfEndpoint=${encodeURIComponent(server.endpoint)}`;
  await page.goto(link);
  await waitReady(page);
  const ask = page.getByTestId('confirm-model');
  await expect(ask).toContainText(server.endpoint);
  await expect(ask).toContainText(`${OWNER}/llama-tiny-sharded`);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  expect(server.requests).toEqual([]);
  await page.getByTestId('confirm-model-load').click();
  await expectOpened(page, 'llama-tiny-sharded');
  await expect(ask).toHaveCount(0);
  // The session link now names the hub model; with the endpoint the user set, it opens without asking.
  await useEndpoint(page, server.endpoint);
  const again = await page.context().newPage();
  await again.goto(page.url());
  await expect(again.getByTestId('model-info')).toContainText(`${OWNER}/llama-tiny-sharded (llama)`);
  await expect(again.getByTestId('confirm-model')).toHaveCount(0);
});

test('on WebGPU the check reads the adapter’s buffer limit and names the tensor over it', async ({ page }) => {
  await page.goto('/?backend=webgpu&model=gpt2-tiny');
  await waitReady(page);
  await expect(page.getByTestId('backend')).toHaveText('backend: webgpu');
  await useEndpoint(page, server.endpoint);
  await openByName(page, `${OWNER}/huge`);
  await expect(page.getByTestId('error')).toContainText(/will not fit on webgpu: its largest tensor \((wte\.weight|h\.\d+\.mlp\.c_fc\.weight)\) is [\d.]+ GB, over the [\d.]+ (MB|GB) one buffer may hold \(WebGPU adapter limits\)/);
  await expect(page.getByTestId('model-info')).toContainText('gpt2-tiny (gpt2)');
  expect(server.requests.filter((r) => r.includes('.safetensors'))).toEqual([]);
});

/** The page's preprocessing of a test image (the worker's prepareImage) against real PIL's DeiT pixel values. */
async function deitWorst(page: Page): Promise<number> {
  const dir = join(import.meta.dirname, '..', 'test', 'fixtures', 'pil-reference');
  const want = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')).pipelines.find((p: { case: string }) => p.case === 'deit-up').pixel_values.f32 as string;
  const bytes = Array.from(readFileSync(join(dir, 'rgb-23x17.png')));
  return page.evaluate(
    async ({ bytes, want }) => {
      const got = await (globalThis as any).__pathlight.engine.prepareImage(new Uint8Array(bytes), 'rgb-23x17.png');
      const w = new Float32Array(Uint8Array.from(atob(want), (c) => c.charCodeAt(0)).buffer);
      let worst = got.pixels.data.length === w.length && got.preview.width === 32 ? 0 : Infinity;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got.pixels.data[i] - w[i]));
      return worst;
    },
    { bytes, want },
  );
}

test('a vision model opens by name in the image mode, with its preprocessor_config.json fetched, kept offline and used', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await useEndpoint(page, server.endpoint);
  await openByName(page, `${OWNER}/vit-deit`);
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/vit-deit (vit)`);
  await expect(page.getByTestId('image-panel')).toBeVisible();
  await expect(page.getByTestId('prediction-list')).toHaveCount(0);
  const asked = server.requests.filter((r) => r.includes('/vit-deit/'));
  expect(asked.some((r) => r.endsWith('/resolve/main/preprocessor_config.json'))).toBe(true);
  expect(asked.filter((r) => /\/(tokenizer\.json|vocab\.json|merges\.txt)$/.test(r))).toEqual([]);
  // DeiT's preprocessing (resize 40 bicubic, center crop 32), as real PIL computes it for this image.
  expect(await deitWorst(page)).toBeLessThanOrEqual(1e-6);
  // A repository without the file: remembered as absent.
  await openByName(page, `${OWNER}/vit-nopre`);
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/vit-nopre (vit)`);
  const entries: Array<[string, string | null]> = await page.evaluate(async () => {
    const cache = await caches.open('pathlight-hub-v1');
    return Promise.all((await cache.keys()).map(async (r) => [r.url, (await cache.match(r))!.headers.get('x-pathlight-absent')] as [string, string | null]));
  });
  expect(entries.find(([u]) => u.endsWith('/vit-deit/resolve/main/preprocessor_config.json'))?.[1]).toBeNull();
  expect(entries.find(([u]) => u.endsWith('/vit-nopre/resolve/main/preprocessor_config.json'))?.[1]).toBe('1');
  // No network: it reopens from Cache Storage with the same preprocessing.
  await server.close();
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await openByName(page, `${OWNER}/vit-deit`);
  await expect(page.getByTestId('model-info')).toContainText(`${OWNER}/vit-deit (vit)`);
  expect(await deitWorst(page)).toBeLessThanOrEqual(1e-6);
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
});
