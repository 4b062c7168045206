/** What every CLI command shares: opening the model, choosing the backend, reading prompts, formatting tensors. */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, initBackend, type BackendName } from '../engine/backend';
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { isHubName } from '../engine/hub';
import { loadImageFile } from '../engine/image-node';
import { RESAMPLE_NAMES } from '../engine/image-preprocess';
import type { ModelInput } from '../engine/inputs';
import { loadModelDir, resolveModelDir } from '../engine/node-load';
import type { Edit, TensorData } from '../engine/types';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { setRequestContext } from '../engine/memory-check';
import { policyJson, referenceMeans, referenceWindows, type Reference } from '../analysis/means';
import { flag, requireFlag, type Args } from './args';
import { openHubModel } from './hub-open';
import { prepareNodeWebGpu } from './node-webgpu';

const BACKENDS = BACKEND_ORDER;

export async function setupBackend(args: Args): Promise<BackendName> {
  const b = flag(args, 'backend') ?? 'wasm';
  if (!(BACKENDS as readonly string[]).includes(b)) fail(`--backend: "${b}" is not one of ${BACKENDS.join(', ')}`);
  if (b === 'webgl') fail('--backend webgl: WebGL is only available in a browser; use cpu, wasm or webgpu in Node');
  if (b === 'webgpu') await prepareNodeWebGpu();
  // Production mode: no tfjs debug warnings (such as the tfjs-node banner) on stderr.
  tf.env().set('PROD', true);
  const used = await initBackend(b as BackendName).catch(() => null);
  if (used !== b) fail(`--backend ${b}: the backend could not be started here`);
  // Requests are checked against the machine's memory (src/engine/request-memory.ts).
  setRequestContext({ systemBytes: totalmem() });
  return used;
}

/** `--model`: a bundled name, a folder, or `hf:owner/name[@rev]` (the Hugging Face cache, else the hub: hub-open.ts). */
export async function openModel(args: Args): Promise<Model> {
  const ref = requireFlag(args, 'model');
  return isHubName(ref) ? openHubModel(ref) : loadModelDir(ref);
}

/**
 * The input of run, attribute and path: `--image FILE.png|.jpg` for a vision model (decoded and preprocessed by
 * the browser's code, src/engine/image-node.ts), else the token ids of --ids or --text. `json` is what the output
 * records of it (`input_ids`, or `image` and the token names [CLS], patch r,c).
 */
export async function promptInput(args: Args, model: Model): Promise<{ input: ModelInput; T: number; json: Record<string, unknown> }> {
  const image = flag(args, 'image');
  const v = model.config.vision;
  if (v) {
    if (flag(args, 'ids') !== undefined || flag(args, 'text') !== undefined) fail(`model "${model.name}" classifies images: give --image FILE.png|.jpg, not --ids or --text`);
    if (image === undefined) fail(`model "${model.name}" classifies images: give --image FILE.png|.jpg`);
    const input = await loadImageFile(image, model.config);
    const tokens = ['[CLS]', ...Array.from({ length: v.grid[0] * v.grid[1] }, (_, i) => `patch ${Math.floor(i / v.grid[1])},${i % v.grid[1]}`)];
    const p = v.preprocess;
    // How the image was preprocessed (the processor preprocessor_config.json names, with its defaults filled in).
    const preprocess = {
      processor: p.processor,
      resize: p.resize && { ...p.resize, filter: RESAMPLE_NAMES[p.resize.resample] },
      center_crop: p.centerCrop,
      rescale: p.rescale,
      normalize: p.normalize,
    };
    return { input, T: model.config.nCtx, json: { image, preprocess, tokens } };
  }
  if (image !== undefined) fail(`--image: model "${model.name}" (${model.config.modelType}) reads text, not images`);
  const ids = promptIds(args, model);
  return { input: ids, T: ids.length, json: { input_ids: ids } };
}

/** A class of a vision model: its index, `#INDEX` or its label (config.json id2label). */
function parseClass(raw: string, model: Model, what: string): number {
  const labels = model.config.vision!.labels;
  const m = /^#?(\d{1,9})$/.exec(raw);
  const id = m ? Number(m[1]) : labels.indexOf(raw);
  if (id < 0) fail(`${what}: "${raw}" is not a class of this model (an index 0..${labels.length - 1} or a label: ${labels.slice(0, 10).join(', ')}${labels.length > 10 ? ', …' : ''})`);
  if (id >= labels.length) fail(`${what}: class ${id} is outside the model's classes (0..${labels.length - 1})`);
  return id;
}

/** The name of an output token (or a vision model's class) for the JSON. */
export function outputName(model: Model, id: number): string {
  return model.config.vision?.labels[id] ?? model.tokenizer?.tokenString(id) ?? `#${id}`;
}

/** Token ids from --ids 1,2,3 or --text "..." (through the model's tokenizer). */
export function promptIds(args: Args, model: Model): number[] {
  const idsRaw = flag(args, 'ids');
  const text = flag(args, 'text');
  if ((idsRaw === undefined) === (text === undefined)) fail('give exactly one of --ids 1,2,3 or --text "..."');
  let ids: number[];
  if (idsRaw !== undefined) {
    ids = idsRaw.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      if (!/^\d{1,9}$/.test(s)) fail(`--ids: "${s}" is not a token id (decimal digits only)`);
      return Number(s);
    });
  } else {
    if (!model.tokenizer) fail(`model "${model.name}" has no tokenizer.json; give the prompt as --ids`);
    ids = model.tokenizer.encode(text!);
  }
  if (ids.length === 0) fail('the prompt is empty: at least one token is needed');
  const V = model.config.vocabSize;
  for (const id of ids) if (id < 0 || id >= V) fail(`--ids: token id ${id} is outside the vocabulary (0..${V - 1})`);
  if (ids.length > model.config.nCtx) fail(`the prompt is ${ids.length} tokens long, longer than the model's context of ${model.config.nCtx} tokens`);
  return ids;
}

/** A token given as a string that encodes to one token, or as `#ID`; for a vision model a class (parseClass). */
export function parseToken(raw: string, model: Model, what: string): number {
  if (model.config.vision) return parseClass(raw, model, what);
  if (/^#\d+$/.test(raw)) {
    const id = Number(raw.slice(1));
    if (id >= model.config.vocabSize) fail(`${what}: token id ${id} is outside the vocabulary (0..${model.config.vocabSize - 1})`);
    return id;
  }
  if (!model.tokenizer) fail(`${what}: model "${model.name}" has no tokenizer; give the token as #ID`);
  const id = model.tokenizer.singleTokenId(raw);
  if (id === null) fail(`${what}: "${raw}" is not a single token of this model; give it as #ID`);
  return id;
}

/**
 * `HOOK:INDEX:OP[@POS]` with INDEX a number or `*` (every unit) and OP one of zero, mean, clamp=V, scale=V, add=V.
 * POS is a position or a comma list of positions; without it, every position.
 */
export function parseEdit(spec: string): Edit {
  const m = /^([A-Za-z0-9_.]+):(\*|\d+):(zero|mean|clamp=[^@]+|scale=[^@]+|add=[^@]+)(?:@([\d,]+))?$/.exec(spec);
  if (!m) fail(`--edit "${spec}": expected HOOK:INDEX:zero|mean|clamp=V|scale=V|add=V[@POS], e.g. blocks.0.mlp.hook_post:5:zero@3`);
  const [, hook, idx, opRaw, pos] = m;
  const [op, valueRaw] = opRaw.split('=') as [Edit['op'], string | undefined];
  let value: number | undefined;
  if (valueRaw !== undefined) {
    value = Number(valueRaw);
    if (!Number.isFinite(value)) fail(`--edit "${spec}": "${valueRaw}" is not a number`);
  }
  return {
    hook,
    index: idx === '*' ? null : Number(idx),
    op,
    value,
    positions: pos === undefined ? null : pos.split(',').filter((s) => s !== '').map(Number),
  };
}

/** Drops the batch axis of a single-sequence result and makes the data JSON-ready. */
export function tensorJson(t: TensorData, batch = 0): { shape: number[]; data: number[] } {
  const shape = t.shape.slice(1);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from(t.data.subarray(batch * n, (batch + 1) * n)) };
}

export function memoryCheck(): number {
  return tf.memory().numTensors;
}

/**
 * Progress of long work on stderr, one line rewritten in place on a terminal (or one line per tenth with
 * --progress when stderr is not a terminal); stdout keeps the JSON only.
 */
export function progressReporter(args: Args, label: string): ((done: number, total: number) => void) | undefined {
  const tty = process.stderr.isTTY === true;
  if (!tty && flag(args, 'progress') === undefined) return undefined;
  const t0 = Date.now();
  let lastTenth = -1;
  return (done, total) => {
    const s = (Date.now() - t0) / 1000;
    const eta = done > 0 ? (s / done) * (total - done) : 0;
    const line = `${label}: ${done}/${total} (${s.toFixed(1)} s, about ${eta.toFixed(0)} s left)`;
    if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else {
      const tenth = Math.floor((10 * done) / Math.max(1, total));
      if (tenth !== lastTenth || done === total) process.stderr.write(`${line}\n`);
      lastTenth = tenth;
    }
  };
}

/**
 * The reference text of a command, by the one policy of src/analysis/means.ts: the text of `--reference FILE`, else
 * the model folder's corpus.txt (the same file the workbench uses), cut into windows; refused, naming both, when
 * neither exists. `what` says what needs it, for the message.
 */
export function readReference(args: Args, model: Model, what: string): Reference {
  const ref = flag(args, 'reference');
  const corpus = join(resolveModelDir(requireFlag(args, 'model')), 'corpus.txt');
  const file = ref ?? (existsSync(corpus) ? corpus : null);
  if (!file) fail(`${what} need${what.endsWith('s') ? '' : 's'} a reference text: give --reference FILE (the model has no corpus.txt at ${corpus})`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    fail(`--reference: cannot read ${file}`);
  }
  return referenceWindows(model, text, file);
}

/** The record of a command's means in its output: which text (`means_reference`) and how it was cut (`means_policy`). */
export function meansRecord(ref: Reference): { means_reference: string; means_policy: ReturnType<typeof policyJson> } {
  return { means_reference: ref.policy.source, means_policy: policyJson(ref.policy) };
}

/**
 * The means behind `mean` edits over the command's reference text (`readReference`). Returns the means and the
 * reference they came from (recorded in the output with `meansRecord`).
 */
export async function editMeans(args: Args, model: Model, edits: Edit[]): Promise<{ means?: Record<string, Float32Array>; reference?: Reference }> {
  const hooks = [...new Set(edits.filter((e) => e.op === 'mean').map((e) => e.hook))];
  if (hooks.length === 0) return {};
  if (model.config.vision) fail(`mean edits take their means from a reference text; model "${model.name}" reads images (use zero, clamp, scale or add)`);
  const reference = readReference(args, model, 'mean edits');
  return { means: await referenceMeans(model, hooks, reference), reference };
}
