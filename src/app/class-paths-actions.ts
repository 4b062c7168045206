/**
 * The class-level analysis of the vision workbench: NeuronPath (and its baselines) for each bundled example image
 * with its label as target, run in the worker at analysis priority with progress and Cancel; the result goes to the
 * image store as plain data.
 */
import { CLASS_PATHS_INITIAL, useImage, type ImageExample } from '../store/image';
import { useStore } from '../store/store';
import { isSuperseded, withProgress } from '../worker/client';
import { getEngine } from './controller';

const KEY = 'class-paths';

/** Each run's number: only the latest one's result (or error) is shown. */
let runSeq = 0;

/** Images per class the examples hold (the most of any class; 0 when there are none). */
export function examplesPerClass(examples: readonly ImageExample[] | null): number {
  const n = new Map<number, number>();
  for (const e of examples ?? []) n.set(e.label, (n.get(e.label) ?? 0) + 1);
  return Math.max(0, ...n.values());
}

export async function runClassPaths(): Promise<void> {
  const s = useImage.getState();
  if (!useStore.getState().model?.config.vision || s.classRunning) return;
  const max = examplesPerClass(s.examples);
  if (max === 0) return s.set({ classError: 'This model has no bundled example images to analyse.' });
  const perClass = Math.max(1, Math.min(max, s.classPerClass ?? max));
  const mine = ++runSeq;
  s.set({ classRunning: true, classProgress: null, classError: null });
  // At most 5 progress updates a second reach the store; the last one always does.
  let shownAt = 0;
  const onProgress = (done: number, total: number) => {
    const now = performance.now();
    if (mine !== runSeq || (done < total && now - shownAt < 200)) return;
    shownAt = now;
    useImage.getState().set({ classProgress: { done, total } });
  };
  try {
    const r = await withProgress(onProgress, (progress) => getEngine().classPaths(KEY, { images: { kind: 'examples', perClass }, steps: s.classSteps, positions: s.classPositions }, progress));
    if (mine === runSeq) useImage.getState().set({ classPaths: r, classRunning: false, classProgress: null });
  } catch (e) {
    if (mine !== runSeq) return;
    useImage.getState().set({ classRunning: false, classProgress: null, classError: isSuperseded(e) ? 'Cancelled.' : e instanceof Error ? e.message : String(e) });
  }
}

export async function cancelClassPaths(): Promise<void> {
  runSeq++;
  useImage.getState().set({ classRunning: false, classProgress: null, classError: 'Cancelled.' });
  await getEngine().cancel(KEY);
}

/** A new model (or none): the analysis in flight is stopped and its result cleared. */
export function resetClassPaths(): void {
  const running = useImage.getState().classRunning;
  runSeq++;
  useImage.getState().set(CLASS_PATHS_INITIAL);
  if (running) void getEngine().cancel(KEY);
}
