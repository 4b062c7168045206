/**
 * The reference text of the workbench: restored for a model as it loads (the text kept in this browser for it, else
 * its corpus.txt), and replaced by a text the user gives, which is kept for the next visit (reference-cache.ts).
 */
import { parseNodeId } from '../engine/nodeid';
import type { ModelConfig } from '../engine/types';
import { useStore, type ModelRef, type State } from '../store/store';
import { getEngine, refresh, selectNode } from './controller';
import { keepReference, referenceKey, referenceStore, restoreReference } from './reference-cache';

/** After a model loaded in the engine: its kept reference text applied, else what the engine read (corpus.txt). */
export async function restoreModelReference(ref: ModelRef, config: ModelConfig, hubEndpoint: string): Promise<State['reference']> {
  const eng = getEngine();
  const restored = await restoreReference(await referenceStore(), referenceKey(ref, config, hubEndpoint), (text, name) => eng.setReference(text, name));
  if (restored) return { ...restored, kept: true };
  const own = await eng.corpusInfo().catch(() => null);
  return own ? { ...own, kept: false } : null;
}

/** A text the user gave (paste, .txt, .jsonl): used by the engine, kept for this model, and the card and predictions redone. */
export async function useReferenceText(text: string, name: string): Promise<void> {
  const info = await getEngine().setReference(text, name);
  const s = useStore.getState();
  const kept = s.model ? await keepReference(await referenceStore(), referenceKey(s.modelRef, s.model.config, s.hubEndpoint), name, text) : false;
  s.set({ reference: { ...info, kept }, card: null });
  if (!kept) s.notify(`"${name}" is used until the page closes; this browser could not keep it for the next visit.`);
  // Mean edits now read the new means; the open card its new contexts.
  await refresh();
  const sel = useStore.getState().selected;
  if (sel) {
    const n = parseNodeId(sel);
    await selectNode(sel, n.kind, n.layer, n.index);
  }
}
