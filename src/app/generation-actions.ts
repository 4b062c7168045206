/**
 * The clean/edited continuation: recomputed after the prompt's tokens, the edits or the generation settings
 * change, debounced (a burst of typing or edits starts one continuation, once it has been quiet for
 * GENERATION_DEBOUNCE_MS), and pausable: while paused nothing is recomputed, a continuation in flight is stopped,
 * and the one on screen stays (marked out of date when its inputs changed) until resume.
 */
import { activeEdits, useStore, type State } from '../store/store';
import { Comlink, isSuperseded } from '../worker/client';
import { getEngine } from './controller';

export const GENERATION_DEBOUNCE_MS = 250;

let timer: ReturnType<typeof setTimeout> | null = null;
/** Continuations sent to the engine since the page opened (tests check the debounce with it). */
let requests = 0;
/** The continuation whose progress is shown (progress messages of an older one may arrive late). */
let current = 0;
/** When the progress on screen was last updated. */
let shownAt = 0;
const PROGRESS_MS = 250;
/** The inputs of the continuation on screen. */
let shownInputs: string | null = null;
/** Whether the continuation on screen ran with edits (its edited line means something). */
let shownEdited = false;

/** What a continuation depends on, as one comparable string. */
export function generationInputs(s: Pick<State, 'tokens' | 'edits' | 'maxTokens' | 'temperature' | 'topK' | 'seed'>): string {
  return JSON.stringify([s.tokens?.ids ?? null, activeEdits(s.edits), s.maxTokens, s.temperature, s.topK, s.seed]);
}

/** Whether the continuation on screen was computed for other inputs than the current ones. */
export function generationOutOfDate(): boolean {
  const s = useStore.getState();
  return s.generation !== null && shownInputs !== generationInputs(s);
}

export const generationRequests = () => requests;
export const shownWithEdits = () => shownEdited;

/** Clean and edited continuations with the active edits at every step (nothing while paused). */
export async function refreshGeneration(): Promise<void> {
  const s = useStore.getState();
  const ids = s.tokens?.ids;
  // Vision models classify an image: there is no text to continue.
  if (s.generationPaused || !s.model || s.model.config.vision || !ids || ids.length === 0 || ids.length > s.model.config.nCtx) return;
  // Tokens of a prompt the user has typed past (a keystroke's tokens arriving mid-burst): the newer tokens schedule it.
  if (s.tokensPrompt !== s.prompt) return;
  const inputs = generationInputs(s);
  const mine = ++requests;
  current = mine;
  useStore.getState().set({ generationProgress: { done: 0, total: s.maxTokens } });
  try {
    const generation = await getEngine().generate(
      'generate',
      {
        ids,
        edits: activeEdits(s.edits),
        maxTokens: s.maxTokens,
        sampling: s.temperature > 0 ? { temperature: s.temperature, topK: s.topK, seed: s.seed } : null,
      },
      Comlink.proxy((done: number, total: number) => {
        // At most a few updates a second: each one re-renders the panels, which would slow what the user waits on.
        const now = performance.now();
        if (current !== mine || useStore.getState().generationPaused || (now - shownAt < PROGRESS_MS && done < total)) return;
        shownAt = now;
        useStore.getState().set({ generationProgress: { done, total } });
      }),
    );
    if (current === mine) current = 0;
    if (useStore.getState().generationPaused) return;
    shownInputs = inputs;
    shownEdited = activeEdits(s.edits).length > 0;
    useStore.getState().set({ generation, generationProgress: null });
  } catch (e) {
    if (isSuperseded(e)) return;
    current = 0;
    useStore.getState().set({ generation: null, generationProgress: null, analysisError: e instanceof Error ? e.message : String(e) });
  }
}

/** Recomputes the continuation once the inputs have been quiet for the debounce interval. */
export function scheduleGeneration(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void refreshGeneration();
  }, GENERATION_DEBOUNCE_MS);
}

/** Stops the continuation: the one in flight is cancelled, later changes wait for resume. */
export function pauseGeneration(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  current = 0;
  useStore.getState().set({ generationPaused: true, generationProgress: null });
  void getEngine().cancel('generate');
}

/** Resumes: the continuation is recomputed at once for the current prompt, edits and settings. */
export function resumeGeneration(): void {
  useStore.getState().set({ generationPaused: false });
  void refreshGeneration();
}
