import { fail } from '../../engine/errors';
import { batchInput } from '../../engine/inputs';
import { runModel } from '../../engine/run';
import { allowFlags, flag, flags, type Args } from '../args';
import { editMeans, meansRecord, openModel, outputName, parseEdit, parseToken, promptInput, setupBackend, tensorJson } from '../common';

/**
 * `pathlight run`: one forward (and backward, with --grad) pass; prints logits, captures and gradients. A vision
 * model takes `--image FILE` (logits [labels], captures [tokens, units] with token 0 = [CLS]) and `--grad CLASS`.
 */
export async function runCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'image', 'backend', 'capture', 'edit', 'grad', 'reference']);
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    const { input, json } = await promptInput(args, model);
    const edits = flags(args, 'edit').map(parseEdit);
    const capture = flags(args, 'capture');
    const gradRaw = flag(args, 'grad');
    let target;
    if (gradRaw !== undefined) {
      if (model.config.vision) {
        target = { kind: 'logit' as const, position: 0, token: parseToken(gradRaw, model, '--grad') };
      } else {
        const m = /^(-?\d+):(\d+)$/.exec(gradRaw);
        if (!m) fail(`--grad "${gradRaw}": expected POS:TOKEN, e.g. 11:123`);
        target = { kind: 'logit' as const, position: Number(m[1]), token: Number(m[2]) };
      }
      if (capture.length === 0) fail('--grad needs at least one --capture HOOK to take gradients with respect to');
    }
    const { means, reference } = await editMeans(args, model, edits);
    const res = await runModel(model, { ...batchInput(input, 1), edits, capture, target, means });
    const activations: Record<string, unknown> = {};
    const grads: Record<string, unknown> = {};
    for (const h of capture) {
      activations[h] = tensorJson(res.activations[h]);
      if (res.grads[h]) grads[h] = tensorJson(res.grads[h]);
    }
    return {
      backend,
      model: model.name,
      ...json,
      ...(Array.isArray(input) && model.tokenizer ? { tokens: input.map((i) => model.tokenizer!.tokenString(i)) } : {}),
      logits: tensorJson(res.logits!),
      ...(model.config.vision ? { labels: model.config.vision.labels } : {}),
      activations,
      grads,
      ...(target ? { target: { ...target, value: res.targetValues![0], ...(model.config.vision ? { label: outputName(model, target.token) } : {}) } } : {}),
      ...(reference ? meansRecord(reference) : {}),
    };
  } finally {
    model.dispose();
  }
}
