import { totalmem } from 'node:os';
import { fail } from '../../engine/errors';
import { formatHubRef, isHubName, parseHubRef } from '../../engine/hub';
import { deleteCachedModel, hubCacheDir, listCachedModels } from '../../engine/hub-cache-node';
import { CURATED_MODELS, curatedLargest } from '../../engine/hub-models';
import { ensureHubFiles, hubEnvOptions } from '../../engine/hub-node';
import { estimateConfig } from '../../engine/memory-check';
import { estimateFromParams, fitVerdict, WASM_HEAP_BYTES } from '../../engine/memory-fit';
import { allowFlags, type Args } from '../args';
import { downloadReporter } from '../hub-open';

export const HUB_USAGE = 'hub list | hub models | hub download hf:OWNER/NAME[@REV] | hub rm hf:OWNER/NAME   (cache: HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub; endpoint: HF_ENDPOINT)';

function refOf(args: Args) {
  const spec = args.positional[1];
  if (!spec) fail(`hub ${args.positional[0]}: give the model as hf:OWNER/NAME[@REV]`);
  return parseHubRef(isHubName(spec) ? spec : `hf:${spec}`);
}

/**
 * `pathlight hub`: the Hugging Face cache the CLI shares with Python (`list`, `rm`), downloading a model into it
 * ahead of time (`download`), and the curated models with their approximate sizes (`models`).
 */
export async function hubCommand(args: Args): Promise<unknown> {
  allowFlags(args, []);
  const sub = args.positional[0];
  const cache = hubCacheDir();
  if (sub === 'list') {
    return { cache, models: listCachedModels(cache).map((m) => ({ repo: m.repo, revisions: m.revisions, bytes: m.bytes, path: m.dir })) };
  }
  if (sub === 'rm') {
    const ref = refOf(args);
    if (!deleteCachedModel(ref, cache)) fail(`hub rm: ${formatHubRef(ref, { prefix: true })} is not in the cache at ${cache}`);
    return { deleted: formatHubRef(ref, { prefix: true }), cache };
  }
  if (sub === 'download') {
    const ref = refOf(args);
    const id = formatHubRef(ref, { prefix: true, full: true });
    let memory: unknown = null;
    const files = await ensureHubFiles(ref, {
      ...hubEnvOptions(),
      onProgress: downloadReporter(id),
      beforeWeights: (config) => {
        const est = estimateConfig(config);
        memory = { params: est.params, float32Bytes: est.weightsBytes, wasm: fitVerdict(est, { backend: 'wasm', totalBytes: WASM_HEAP_BYTES, maxTensorBytes: null, softBytes: null, source: 'WASM heap' }, id).message };
      },
    });
    return { model: id, commit: files.commit, path: files.dir, fromCache: files.fromCache, memory };
  }
  if (sub === 'models') {
    const limits = { backend: 'wasm' as const, totalBytes: Math.min(WASM_HEAP_BYTES, totalmem()), maxTensorBytes: null, softBytes: null, source: 'WASM heap' };
    return {
      note: 'approximate figures; revisions "main" where no commit hash was pinned',
      models: CURATED_MODELS.map((m) => ({ ...m, name: `hf:${m.repo}@${m.revision}`, fitsWasm: fitVerdict(estimateFromParams(m.params, curatedLargest(m)), limits).kind })),
    };
  }
  fail(`hub: expected list, models, download hf:OWNER/NAME[@REV] or rm hf:OWNER/NAME (got ${sub === undefined ? 'nothing' : `"${sub}"`})`);
}
