/**
 * Opening a model from local files: chosen with "Open files…" / "Open folder…" or dropped on the page (files or a
 * folder). The files are picked by name (config.json, *.safetensors, tokenizer.json, MODEL.md or README.md) and
 * the model is named from its folder, else its config, else the files (model-card.ts localModelName).
 */
import { useEffect } from 'react';
import { useStore } from '../store/store';
import { openLocalFiles } from './session-bind';
import { setLocalCard } from './model-card';

export async function openFileList(files: File[], folder?: string): Promise<void> {
  const base = (f: File) => f.name.toLowerCase();
  const by = (n: string) => files.find((f) => base(f) === n.toLowerCase());
  const config = by('config.json');
  const safetensors = files.find((f) => /\.safetensors$/i.test(f.name)) ?? null;
  if (!config || !safetensors) {
    const got = files.length ? files.map((f) => f.name).slice(0, 8).join(', ') : 'no files';
    useStore.getState().set({ error: `Choose config.json and model.safetensors (and tokenizer.json if the model has one); got ${got}.` });
    return;
  }
  setLocalCard(by('MODEL.md') ?? by('README.md') ?? null);
  await openLocalFiles({ config, safetensors, tokenizer: by('tokenizer.json') ?? null }, { files, folder });
}

type Entry = { isFile: boolean; isDirectory: boolean; name: string; file?: (ok: (f: File) => void, err: (e: unknown) => void) => void; createReader?: () => { readEntries(ok: (es: Entry[]) => void, err: (e: unknown) => void): void } };

/** Every file under a dropped folder (a folder's reader returns its entries in chunks). */
async function filesOf(entry: Entry): Promise<File[]> {
  if (entry.isFile && entry.file) return [await new Promise<File>((ok, err) => entry.file!(ok, err))];
  if (!entry.isDirectory || !entry.createReader) return [];
  const reader = entry.createReader();
  const all: File[] = [];
  for (;;) {
    const chunk = await new Promise<Entry[]>((ok, err) => reader.readEntries(ok, err));
    if (chunk.length === 0) break;
    for (const e of chunk) if (e.isFile) all.push(...(await filesOf(e)));
  }
  return all;
}

/** Files or a model folder dropped anywhere on the page open as the model. */
export function useDropToOpen(): void {
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const drop = async (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      const items = [...e.dataTransfer.items].map((i) => (i as unknown as { webkitGetAsEntry?: () => Entry | null }).webkitGetAsEntry?.() ?? null);
      const dir = items.length === 1 && items[0]?.isDirectory ? items[0] : null;
      if (dir) await openFileList(await filesOf(dir), dir.name);
      else await openFileList([...e.dataTransfer.files]);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);
}
