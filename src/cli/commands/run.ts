import { fail } from '../../engine/errors';
import { runModel } from '../../engine/run';
import { allowFlags, flag, flags, type Args } from '../args';
import { editMeans, openModel, parseEdit, promptIds, setupBackend, tensorJson } from '../common';

/** `pathlight run`: one forward (and backward, with --grad) pass; prints logits, captures and gradients. */
export async function runCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'backend', 'capture', 'edit', 'grad', 'reference']);
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    const ids = promptIds(args, model);
    const edits = flags(args, 'edit').map(parseEdit);
    const capture = flags(args, 'capture');
    const gradRaw = flag(args, 'grad');
    let target;
    if (gradRaw !== undefined) {
      const m = /^(-?\d+):(\d+)$/.exec(gradRaw);
      if (!m) fail(`--grad "${gradRaw}": expected POS:TOKEN, e.g. 11:123`);
      target = { kind: 'logit' as const, position: Number(m[1]), token: Number(m[2]) };
      if (capture.length === 0) fail('--grad needs at least one --capture HOOK to take gradients with respect to');
    }
    const { means, source } = await editMeans(args, model, edits);
    const res = await runModel(model, { inputIds: [ids], edits, capture, target, means });
    const activations: Record<string, unknown> = {};
    const grads: Record<string, unknown> = {};
    for (const h of capture) {
      activations[h] = tensorJson(res.activations[h]);
      if (res.grads[h]) grads[h] = tensorJson(res.grads[h]);
    }
    return {
      backend,
      model: model.name,
      input_ids: ids,
      tokens: model.tokenizer ? ids.map((i) => model.tokenizer!.tokenString(i)) : undefined,
      logits: tensorJson(res.logits!),
      activations,
      grads,
      ...(target ? { target: { ...target, value: res.targetValues![0] } } : {}),
      ...(source ? { means_reference: source } : {}),
    };
  } finally {
    model.dispose();
  }
}
