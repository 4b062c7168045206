/**
 * A model's card: MODEL.md beside the weights of a bundled or URL model, MODEL.md or README.md among local files.
 * A model without one says so. The text is rendered as a safe Markdown subset (src/views/markdown.ts).
 */
import type { ModelRef } from '../store/store';
import { modelBaseUrl } from './models';

export type ModelCard = { kind: 'card'; text: string; file: string; base?: string } | { kind: 'none'; message: string };

let localCard: File | null = null;

/** The card among the local files just opened (null: they have none). */
export function setLocalCard(f: File | null): void {
  localCard = f;
}

/** Cards larger than this are cut (with a note): a card is prose, not data. */
const MAX_CARD_CHARS = 200_000;

const cut = (t: string) => (t.length > MAX_CARD_CHARS ? `${t.slice(0, MAX_CARD_CHARS)}\n\n(The card is longer; the first ${MAX_CARD_CHARS} characters are shown.)` : t);

async function fetchCard(folder: string, label: string): Promise<ModelCard> {
  const base = new URL(folder.endsWith('/') ? folder : `${folder}/`, location.href).href;
  let res: Response;
  try {
    res = await fetch(`${base}MODEL.md`);
  } catch (e) {
    return { kind: 'none', message: `The model card of ${label} could not be fetched (${e instanceof Error ? e.message : String(e)}).` };
  }
  // A dev server answers a missing file with the app's page: that is not a card.
  if (!res.ok || /text\/html/i.test(res.headers.get('content-type') ?? '')) return { kind: 'none', message: `${label} has no model card (no MODEL.md beside its weights).` };
  return { kind: 'card', text: cut(await res.text()), file: 'MODEL.md', base };
}

export async function loadModelCard(ref: ModelRef): Promise<ModelCard> {
  switch (ref.kind) {
    case 'bundled':
      return fetchCard(modelBaseUrl(ref.name), ref.name);
    case 'url':
      return fetchCard(ref.url, ref.url);
    case 'local':
      return localCard ? { kind: 'card', text: cut(await localCard.text()), file: localCard.name } : { kind: 'none', message: `${ref.name} has no model card: the files opened include no MODEL.md or README.md.` };
    case 'hub':
      return { kind: 'none', message: `hf:${ref.name}@${ref.revision}: a hub model's card is the README of its repository on the hub; the workbench downloads only its config, weights and tokenizer (an image classifier's preprocessor_config.json instead of a tokenizer).` };
  }
}

/**
 * The name of a model opened from local files: the folder they came from, else the config's `_name_or_path`
 * (a hub name as it is, a path by its last folder), else the files' names.
 */
export function localModelName(files: Array<{ name: string; webkitRelativePath?: string }>, configText: string | null, folder?: string | null): string {
  const dir = folder ?? files.map((f) => f.webkitRelativePath ?? '').find((p) => p.includes('/'))?.split('/')[0];
  if (dir && dir.trim()) return dir.trim().slice(0, 256);
  try {
    const cfg = configText ? JSON.parse(configText) : null;
    const n = cfg && typeof cfg._name_or_path === 'string' ? cfg._name_or_path.trim().replace(/[\\/]+$/, '') : '';
    // A hub name (owner/name) as it is; a file-system path by its last folder.
    if (n) return (/^([A-Za-z]:|[\\/.~])/.test(n) || n.includes('\\') ? n.split(/[\\/]/).pop()! : n).slice(0, 256);
  } catch {
    // not JSON: the loader says so; the name falls back to the files
  }
  return files
    .map((f) => f.name)
    .filter(Boolean)
    .join(' + ')
    .slice(0, 256) || 'local model';
}
