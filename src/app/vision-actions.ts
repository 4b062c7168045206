/**
 * The workbench on a vision model: its bundled examples, the image the user picks, drops, pastes or chooses
 * (decoded and preprocessed in the worker; nothing leaves the browser), the class predictions clean and edited,
 * and the opened neuron's activation over the patches.
 */
import { klDivergence } from '../analysis/probability';
import type { ModelInput, PixelValues } from '../engine/inputs';
import { useImage, type ImageExample } from '../store/image';
import { activeEdits, useStore } from '../store/store';
import { Comlink, isSuperseded } from '../worker/client';
import { parseNodeId } from '../engine/nodeid';
import { getEngine, selectNode } from './controller';
import { modelBaseUrl } from './models';
import type { SessionImage } from '../session/schema';
import { resetClassPaths } from './class-paths-actions';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Whether the loaded model reads images. */
export function isVisionModel(): boolean {
  return !!useStore.getState().model?.config.vision;
}

/** The model's input: the image's pixels (vision models; null until one is chosen). */
export function visionInput(): ModelInput | null {
  return useImage.getState().image?.pixels ?? null;
}

/** Token names of a vision model: [CLS], then the patches as p0, p1, … (row-major). */
export function visionTokens(): { ids: number[]; tokens: string[] } | null {
  const v = useStore.getState().model?.config.vision;
  if (!v) return null;
  const n = v.grid[0] * v.grid[1];
  return { ids: Array.from({ length: n + 1 }, (_, i) => i), tokens: ['[CLS]', ...Array.from({ length: n }, (_, i) => `p${i}`)] };
}

/** The image a link or saved session names, taken by the next vision model that opens (session-bind sets it). */
let linked: SessionImage | null = null;

export function setLinkedImage(img: SessionImage | null): void {
  linked = img;
}

/** How a session names the image on screen: a bundled example's id, or the user's file's SHA-256 (or the awaited one). */
export function sessionImage(): SessionImage | null {
  const { image, awaitingSha } = useImage.getState();
  if (image) return image.exampleId ? { example: image.exampleId } : { sha256: image.sha256, name: image.name.slice(0, 200) };
  return awaitingSha ? { sha256: awaitingSha } : null;
}

/** A session's image on the loaded vision model: its example opened (unless on screen), or the user's image awaited. */
export async function applyLinkedImage(img: SessionImage | null): Promise<void> {
  if (!img) return;
  const cur = useImage.getState().image;
  if ('example' in img) {
    if (cur?.exampleId !== img.example) await chooseExample(img.example);
  } else if (cur?.sha256 !== img.sha256) {
    useImage.getState().set({ awaitingSha: img.sha256 });
  }
}

/** After a vision model loads: its examples (when bundled with some), and the first one (or the linked one) opened. */
export async function openVisionModel(bundledName: string | null): Promise<void> {
  const wantExample = linked && 'example' in linked ? linked.example : null;
  useImage.getState().set({ image: null, examples: null, examplesBase: null, imageError: null, patchActs: null, topImages: null, editAt: 'node', awaitingSha: linked && 'sha256' in linked ? linked.sha256 : null });
  linked = null;
  resetClassPaths();
  if (!bundledName) return;
  const base = modelBaseUrl(bundledName) + 'examples/';
  try {
    const res = await fetch(base + 'index.json');
    if (!res.ok) return;
    const index = (await res.json()) as { images?: ImageExample[] };
    const examples = Array.isArray(index.images) ? index.images : [];
    useImage.getState().set({ examples, examplesBase: base });
    const first = examples.find((e) => e.id === wantExample) ?? examples[0];
    if (wantExample && !examples.some((e) => e.id === wantExample)) useStore.getState().notify(`The link names the example image "${wantExample}", which ${bundledName} does not have; opened ${first?.id ?? 'none'} instead.`);
    if (first && !useImage.getState().awaitingSha) await chooseExample(first.id);
  } catch (e) {
    useImage.getState().set({ imageError: `The example images could not be read: ${message(e)}` });
  }
}

export async function chooseExample(id: string): Promise<void> {
  const { examples, examplesBase } = useImage.getState();
  const ex = examples?.find((e) => e.id === id);
  if (!ex || !examplesBase) return useImage.getState().set({ imageError: `There is no example image "${id}"` });
  const mine = imageSeq;
  const res = await fetch(examplesBase + ex.file);
  // A newer image (chosen while this one was fetched) wins.
  if (mine !== imageSeq) return;
  if (!res.ok) return useImage.getState().set({ imageError: `The example image ${ex.file} could not be fetched (HTTP ${res.status})` });
  await setImageBytes(new Uint8Array(await res.arrayBuffer()), ex.id, ex.id);
}

/** The user's own PNG or JPEG (dropped, pasted or chosen). */
export async function chooseFile(file: File | Blob, name = (file as File).name || 'the pasted image'): Promise<void> {
  await setImageBytes(new Uint8Array(await file.arrayBuffer()), name, null);
}

/** Each image request's number: only the latest one's image (or error) is shown. */
let imageSeq = 0;

async function setImageBytes(bytes: Uint8Array, name: string, exampleId: string | null): Promise<void> {
  const mine = ++imageSeq;
  try {
    const prepared = await getEngine().prepareImage(bytes, name);
    if (mine !== imageSeq) return;
    const awaiting = useImage.getState().awaitingSha;
    if (awaiting && exampleId === null && prepared.sha256 !== awaiting) useStore.getState().notify(`${name} is not the image the session was saved with (its SHA-256 differs); it is used anyway.`);
    useImage.getState().set({ image: { ...prepared, name, exampleId }, imageError: null, awaitingSha: null, patchActs: null });
    useStore.getState().set({ path: null, attribution: null, heads: null, card: null, selected: null, selection: [], target: null, distractor: null });
    await refreshVision();
  } catch (e) {
    if (mine === imageSeq) useImage.getState().set({ imageError: message(e) });
  }
}

/** Clean and edited class predictions for the image (the text workflow's refresh, for images). */
export async function refreshVision(): Promise<void> {
  const s = useStore.getState();
  const input = visionInput();
  const tokens = visionTokens();
  if (!s.model || !tokens) return;
  if (!input) {
    useStore.getState().set({ tokens, tokensPrompt: s.prompt, clean: null, edited: null, cleanDist: null, editedDist: null, kl: null, promptError: 'Choose an image to see its classes.' });
    return;
  }
  useStore.getState().set({ tokens, tokensPrompt: s.prompt, promptError: null, predicting: true });
  const edits = activeEdits(s.edits);
  const eng = getEngine();
  try {
    const [clean, edited] = await Promise.all([eng.predict('clean', { ids: input, k: 10 }), edits.length ? eng.predict('edited', { ids: input, k: 10, edits }) : Promise.resolve(null)]);
    useStore.getState().set({
      clean: clean.top,
      edited: edited ? edited.top : null,
      cleanDist: { probs: clean.probs, logits: clean.logits },
      editedDist: edited ? { probs: edited.probs, logits: edited.logits } : null,
      kl: edited ? klDivergence(clean.probs, edited.probs) : null,
      predicting: false,
    });
  } catch (e) {
    if (isSuperseded(e)) return;
    useStore.getState().set({ predicting: false, promptError: message(e) });
  }
}

/** The neuron's activation at every token of the image ([CLS], then the patches), for the card's overlay. */
export async function loadPatchActivations(node: string, layer: number, index: number): Promise<void> {
  const input = visionInput();
  if (!input || Array.isArray(input)) return;
  const hook = `blocks.${layer}.mlp.hook_post`;
  useImage.getState().set({ patchActs: null });
  useStore.getState().set({ cardLoading: true });
  try {
    const r = await getEngine().run('card', { pixelValues: { shape: [1, ...input.shape], data: input.data }, capture: [hook], logits: 'none' });
    const a = r.activations[hook];
    const [, T, D] = a.shape;
    const acts = Float32Array.from({ length: T }, (_, t) => a.data[t * D + index]);
    if (useStore.getState().selected === node) useImage.getState().set({ patchActs: { node, acts } });
    useStore.getState().set({ cardLoading: false });
  } catch (e) {
    if (isSuperseded(e)) return;
    useStore.getState().set({ cardLoading: false, analysisError: message(e) });
  }
}

/**
 * The neuron's top- and bottom-activating images among the bundled examples (clean runs; the worker keeps a layer's
 * activations, so another neuron of the same layer answers at once). Superseded by the next card's request.
 */
export async function loadTopImages(node: string, layer: number, index: number): Promise<void> {
  const mine = () => useImage.getState().topImages?.node === node;
  useImage.getState().set({ topImages: { node, result: null, progress: null, error: null } });
  const progress = Comlink.proxy((done: number, total: number) => {
    const cur = useImage.getState().topImages;
    if (cur?.node === node && !cur.result) useImage.getState().set({ topImages: { ...cur, progress: { done, total } } });
  });
  try {
    const result = await getEngine().topImages('card-top-images', { layer, index, k: 8 }, progress);
    if (mine()) useImage.getState().set({ topImages: { node, result, progress: null, error: null } });
  } catch (e) {
    if (isSuperseded(e) || !mine()) return;
    useImage.getState().set({ topImages: { node, result: null, progress: null, error: message(e) } });
  }
}

/** A top-activating example opened as the current image, the same neuron's card kept open on it. */
export async function openTopImage(exampleId: string, node: string): Promise<void> {
  await chooseExample(exampleId);
  if (useImage.getState().image?.exampleId !== exampleId) return;
  const n = parseNodeId(node);
  await selectNode(node, n.kind, n.layer, n.index);
}

/** Each head's attention row of [CLS] (the query at 0) over every token, at one layer: [nHead] rows of T. */
export async function clsAttention(pixels: PixelValues, layer: number): Promise<Float32Array[]> {
  const hook = `blocks.${layer}.attn.hook_pattern`;
  const r = await getEngine().run('head-card', { pixelValues: { shape: [1, ...pixels.shape], data: pixels.data }, capture: [hook], logits: 'none' });
  const [, H, T] = r.activations[hook].shape;
  const p = r.activations[hook].data;
  return Array.from({ length: H }, (_, h) => p.slice(h * T * T, h * T * T + T));
}
