/** A `fetch` stub serving a model folder URL from the repository's public/ copy (404 elsewhere), for worker tests. */
import { readFile } from 'node:fs/promises';
import { vi } from 'vitest';

export function stubFolderFetch(folder: string, dir: string, seen?: (url: string) => void): void {
  vi.stubGlobal('fetch', async (url: string) => {
    seen?.(url);
    if (!url.startsWith(folder)) return new Response('not found', { status: 404 });
    try {
      return new Response(await readFile(dir + url.slice(folder.length)));
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
