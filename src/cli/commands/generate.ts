import { readFile } from 'node:fs/promises';
import { compareNextToken } from '../../analysis/distribution';
import { generate, type Means, type Sampling } from '../../analysis/generate';
import { steeringEdit, type ResidPoint } from '../../analysis/steering';
import { decodeVectorFile, neuronDirection } from '../../analysis/vectors';
import { referenceMeans, type Reference } from '../../analysis/means';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import { parseNodeId } from '../../engine/nodeid';
import type { Edit } from '../../engine/types';
import { allowFlags, flag, flags, numberFlag, type Args } from '../args';
import { meansRecord, openModel, parseEdit, promptIds, readReference, setupBackend, progressReporter } from '../common';

export const GENERATE_USAGE =
  'generate --model M (--text "..." | --ids 1,2,3) [--max-tokens N] [--temperature X --top-k K --seed S] ' +
  '[--edit HOOK:INDEX:zero|mean|clamp=V|scale=V|add=V[@POS]]... [--steer LAYER[.pre|.post]:FILE[#NAME]|LxNy:ALPHA[@POS]]... [--reference FILE] [--backend cpu|wasm|webgpu] [--progress]';

/**
 * `--steer LAYER[.pre|.post]:SOURCE:ALPHA[@POS]`: add α·v at blocks.LAYER.hook_resid_pre (default) or
 * hook_resid_post. SOURCE is a safetensors vector file (FILE, or FILE#NAME when it holds several vectors) or a
 * neuron node id such as L2.N417 (that neuron's output direction, its row of c_proj).
 */
export async function parseSteer(spec: string, model: Model): Promise<{ edit: Edit; source: string }> {
  const m = /^(\d+)(?:\.(pre|post))?:(.+):([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?:@([\d,]+))?$/i.exec(spec);
  if (!m) fail(`--steer "${spec}": expected LAYER[.pre|.post]:FILE[#NAME]|LxNy:ALPHA[@POS], e.g. 2:vectors.safetensors:4 or 1.post:L0.N17:-3@5`);
  const [, layerRaw, pointRaw, source, alphaRaw, posRaw] = m;
  const layer = Number(layerRaw);
  const point: ResidPoint = pointRaw === 'post' ? 'hook_resid_post' : 'hook_resid_pre';
  let vector: ArrayLike<number>;
  if (/^L\d+\.N\d+$/.test(source)) {
    const node = parseNodeId(source);
    vector = await neuronDirection(model, node.layer, node.index);
  } else {
    const hash = source.lastIndexOf('#');
    const path = hash > 0 ? source.slice(0, hash) : source;
    const name = hash > 0 ? source.slice(hash + 1) : null;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch {
      fail(`--steer "${spec}": cannot read the vector file ${path}`);
    }
    const vectors = await decodeVectorFile(bytes, path);
    let chosen;
    if (name !== null) {
      chosen = vectors.find((v) => v.name === name);
      if (!chosen) fail(`--steer "${spec}": ${path} has no vector "${name}" (it has ${vectors.map((v) => v.name).join(', ')})`);
    } else {
      if (vectors.length > 1) fail(`--steer "${spec}": ${path} holds ${vectors.length} vectors (${vectors.map((v) => v.name).join(', ')}); name one as FILE#NAME`);
      chosen = vectors[0];
    }
    vector = chosen.vector;
  }
  const positions = posRaw === undefined ? null : posRaw.split(',').filter((s) => s !== '').map(Number);
  return { edit: steeringEdit(model.config, { layer, point, vector, alpha: Number(alphaRaw), positions }), source };
}

function samplingFromArgs(args: Args): Sampling | null {
  const t = flag(args, 'temperature');
  const k = flag(args, 'top-k');
  const s = flag(args, 'seed');
  if (t === undefined) {
    if (k !== undefined || s !== undefined) fail('--top-k and --seed need --temperature (without it, decoding is greedy)');
    return null;
  }
  const temperature = numberFlag(args, 'temperature', 1, { min: 0 });
  if (temperature === 0) return null;
  return { temperature, topK: numberFlag(args, 'top-k', 0, { integer: true, min: 0 }), seed: numberFlag(args, 'seed', 0, { integer: true }) };
}

/** `pathlight generate`: clean and edited continuations side by side, and the next-token distribution change. */
export async function generateCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'backend', 'max-tokens', 'temperature', 'top-k', 'seed', 'edit', 'steer', 'reference', 'progress']);
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    const ids = promptIds(args, model);
    const maxTokens = numberFlag(args, 'max-tokens', 32, { integer: true, min: 0, max: 4096 });
    const sampling = samplingFromArgs(args);
    const edits = flags(args, 'edit').map(parseEdit);
    const steers = [];
    for (const s of flags(args, 'steer')) steers.push(await parseSteer(s, model));
    const all = [...edits, ...steers.map((s) => s.edit)];
    let means: Means | undefined;
    let reference: Reference | undefined;
    const meanHooks = [...new Set(all.filter((e) => e.op === 'mean').map((e) => e.hook))];
    if (flag(args, 'reference') !== undefined && meanHooks.length === 0) fail('--reference is only used by mean edits (--edit HOOK:INDEX:mean)');
    if (meanHooks.length > 0) {
      // The one policy (src/analysis/means.ts): --reference FILE, else the model folder's corpus.txt.
      reference = readReference(args, model, 'mean edits');
      means = await referenceMeans(model, meanHooks, reference);
    }
    const g = await generate(model, { inputIds: ids, edits: all, means, maxTokens, sampling }, { onProgress: progressReporter(args, 'generate') });
    const d = await compareNextToken(model, { inputIds: ids, edits: all, means, top: 10 });
    const tok = model.tokenizer;
    const side = (gen: number[]) => ({
      ids: gen,
      text: tok ? tok.decode(gen) : undefined,
      tokens: tok ? gen.map((i) => tok.tokenString(i)) : undefined,
    });
    const change = (c: { token: number; clean: number; edited: number; delta: number }) => ({ ...c, string: tok ? tok.tokenString(c.token) : undefined });
    const nCtx = model.config.nCtx;
    return {
      backend,
      model: model.name,
      prompt: { ids, text: tok ? tok.decode(ids) : undefined },
      decoding: g.decoding,
      edits: all.map((e) => ({ ...e, vector: e.vector ? `[${e.vector.length} values]` : undefined })),
      steering: steers.map((s) => ({ hook: s.edit.hook, source: s.source, alpha: s.edit.value, positions: s.edit.positions })),
      ...(reference ? meansRecord(reference) : {}),
      clean: side(g.clean),
      edited: side(g.edited),
      first_divergence: g.firstDivergence,
      window: {
        n_ctx: nCtx,
        windowed: g.windowed,
        note: g.windowed
          ? `prompt + generation exceeded the context of ${nCtx} tokens: only the last ${nCtx} tokens were fed at each step; edit positions count from the prompt start and those outside the window were dropped`
          : undefined,
      },
      next_token: {
        position: d.position,
        kl: d.kl,
        kl_reverse: d.klReverse,
        changes: d.changes.map(change),
        top_clean: d.topClean.map(change),
        top_edited: d.topEdited.map(change),
      },
    };
  } finally {
    model.dispose();
  }
}
