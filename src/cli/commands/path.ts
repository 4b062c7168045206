/** `pathlight path`: NeuronPath search with runners-up, edges and the three baseline paths, as JSON. */
import { findPath, type PathNode } from '../../analysis/path';
import { fail } from '../../engine/errors';
import { allowFlags, flag, numberFlag, type Args } from '../args';
import { promptInput } from '../common';
import { positionsFlag, targetFlags, targetJson, withModel } from './attribute';

export const PATH_USAGE =
  'path --model M (--text T | --ids 1,2,3 | --image FILE) --target TOK|CLASS [--distractor TOK] [--target-kind logit|logit_diff|logprob] [--position P] [--steps m] [--beam k] [--runners-up r] [--positions last|all|P] [--joint layer|exact] [--seed s]';

const nodeJson = (n: PathNode) => ({ hook: n.hook, index: n.index, position: n.position, score: n.score, ...(n.removal !== undefined ? { removal: n.removal } : {}), node: n.node });

const SCORE_MEANING = {
  layer_scaled_joint_ig: "path[].score: the layer-scaled search score (the path's and the neuron's IG terms with the whole layer scaled along with the path), a ranking score; path[].removal: the exact effect F(x) − F(path up to that node zeroed)",
  exact_removal: 'path[].score = path[].removal: the exact effect F(x) − F(path up to that node zeroed)',
} as const;

export async function pathCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'image', 'backend', 'target', 'distractor', 'target-kind', 'position', 'steps', 'beam', 'runners-up', 'positions', 'joint', 'seed']);
  return withModel(args, async (model) => {
    const { input, T, json } = await promptInput(args, model);
    const beam = numberFlag(args, 'beam', 1, { integer: true, min: 1, max: 64 });
    const joint = flag(args, 'joint') ?? 'layer';
    if (joint !== 'layer' && joint !== 'exact') fail(`--joint: "${joint}" is not layer or exact`);
    const r = await findPath(model, {
      ids: input,
      target: targetFlags(args, model, T),
      steps: numberFlag(args, 'steps', 20, { integer: true, min: 1, max: 1024 }),
      beam,
      runnersUp: numberFlag(args, 'runners-up', 5, { integer: true, min: 0, max: model.config.dMlp }),
      seed: numberFlag(args, 'seed', 1, { integer: true }),
      positions: positionsFlag(args, T),
      joint,
    });
    return {
      ...json,
      target: targetJson(model, r.target, r.targetValue),
      positions: r.positions,
      joint,
      score_kind: r.scoreKind,
      score_meaning: SCORE_MEANING[r.scoreKind!],
      path: r.path.map(nodeJson),
      runners_up: r.runners_up.map((layer) => layer.map(nodeJson)),
      edges: r.edges,
      ...(beam > 1 ? { beams: r.beams.map((b) => b.map(nodeJson)) } : {}),
      baselines: {
        activation: r.baselines.activation.map(nodeJson),
        layer_ig: r.baselines.layer_ig.map(nodeJson),
        random: r.baselines.random.map(nodeJson),
        gxa: r.baselines.gxa!.map(nodeJson),
      },
      ig_completeness: r.igCompleteness,
      warnings: r.warnings,
    };
  });
}
