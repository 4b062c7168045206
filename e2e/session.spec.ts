/**
 * Sessions end to end: a link made in one browser reopens the same state — graph, edits, predictions — in a
 * fresh browser context; damaged and hostile links open to a usable page with a notice.
 *
 * Written before the UI calls the session layer (docs/sessions.md, "Integration"). Until the page writes
 * `#s2.` fragments, these tests skip themselves with that reason; remove `requireUrlSync` once it does, so a
 * broken integration fails instead of skipping. Selectors follow the workbench's data-testids and may need
 * adjusting to the final UI (a "copy link" button, the notice element).
 */
import { expect, test, type Page } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

const MODEL = process.env.E2E_MODEL ?? 'gpt2-tiny';

/** The page keeps the session in its URL fragment (#s2.…). */
async function requireUrlSync(page: Page): Promise<void> {
  await page.waitForFunction(() => /^#s\d+\./.test(location.hash), null, { timeout: 10_000 });
}

async function pathNodeIds(page: Page): Promise<string[]> {
  const nodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  await expect(nodes.first()).toBeVisible({ timeout: 120_000 });
  return nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id') ?? ''));
}

test('a session link reopens the same graph, edits and predictions in a new browser context', async ({ page, browser }) => {
  const errors = watchConsole(page);
  await page.goto(`/?model=${MODEL}`);
  await waitReady(page);
  await requireUrlSync(page);

  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  // Type and run in the same moment (as Ctrl+Enter right after typing does), before the prompt's debounced refresh:
  // the path must still be the typed prompt's (its nodes sit at its last position), never the previous prompt's.
  await page.evaluate((text) => {
    const input = document.querySelector<HTMLTextAreaElement>('[data-testid=prompt-input]')!;
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    document.querySelector<HTMLButtonElement>('[data-testid=run-path]')!.click();
  }, 'The cat sat on the mat. The cat sat on the');
  const ids = await pathNodeIds(page);
  expect(ids.length).toBeGreaterThanOrEqual(2);
  const T = await page.getByTestId('token-chips').locator(':scope > *').count();
  for (const id of ids) expect(id).toMatch(new RegExp(`@${T - 1}$`));

  // An edit: zero the last path neuron from its card.
  await page.locator(`[data-testid=path-graph] g.node[data-node-id="${ids[ids.length - 1]}"]`).click();
  await page.getByTestId('ablate-zero').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible();

  // The URL follows the work (debounced); wait until it has settled on the edited state.
  await expect.poll(() => page.evaluate(() => location.hash), { timeout: 10_000 }).toMatch(/^#s2\./);
  await page.waitForTimeout(1_000);
  const url = page.url();
  const before = {
    ids: await pathNodeIds(page),
    clean: await page.getByTestId('prediction-list').innerText(),
    edited: await page.getByTestId('prediction-list-edited').innerText(),
    edits: await page.getByTestId('edits-list').innerText(),
    prompt: await page.getByTestId('prompt-input').inputValue(),
  };

  // A fresh context: no storage, no cache, nothing shared but the URL.
  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  const otherErrors = watchConsole(other);
  await other.goto(url);
  await waitReady(other);
  await expect(other.getByTestId('prompt-input')).toHaveValue(before.prompt);
  await expect(other.getByTestId('edits-list').locator('li')).toHaveCount(1);
  expect(await other.getByTestId('edits-list').innerText()).toBe(before.edits);
  await expect(other.getByTestId('prediction-list-edited')).toBeVisible();
  await expect.poll(() => other.getByTestId('prediction-list').innerText()).toBe(before.clean);
  await expect.poll(() => other.getByTestId('prediction-list-edited').innerText()).toBe(before.edited);
  // The path had been run: the reopened session runs it again, to the same nodes.
  expect(await pathNodeIds(other)).toEqual(before.ids);
  await other.screenshot({ path: test.info().outputPath('reopened.png'), fullPage: true });
  await ctx.close();
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});

test('damaged, oversized and hostile links open a usable page with a notice; prompt markup stays text', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto(`/?model=${MODEL}`);
  await waitReady(page);
  await requireUrlSync(page);

  // A distinct query each time, so each goto loads the page instead of only changing the fragment.
  const fragments = ['#s2.this-is-not-a-session', `#s2.${'A'.repeat(70_000)}`, '#json=%7B%22method%22%3A%7B%22steps%22%3A100000%7D%7D'];
  for (const [i, fragment] of fragments.entries()) {
    await page.goto(`/?t=${i}${fragment}`);
    await waitReady(page);
    await expect(page.getByTestId('notice').first()).toBeVisible();
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  }

  const prompt = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const text = `{"model":{"kind":"bundled","name":${JSON.stringify(MODEL)}},"prompt":${JSON.stringify(prompt)},"__proto__":{"polluted":1}}`;
  await page.goto(`/?t=evil#json=${encodeURIComponent(text)}`);
  await waitReady(page);
  await expect(page.getByTestId('prompt-input')).toHaveValue(prompt);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.evaluate(() => (({}) as Record<string, unknown>).polluted)).toBeUndefined();
  await expect(page.getByTestId('notice').first()).toContainText('__proto__');
  expect(await page.locator('img[src=x]').count()).toBe(0);
  expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
});
