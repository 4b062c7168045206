import type { Args } from '../args';
import { ATTRIBUTE_USAGE, attributeCommand } from './attribute';
import { FAITHFULNESS_USAGE, faithfulnessCommand } from './faithfulness';
import { CLASSPATHS_USAGE, classpathsCommand } from './classpaths';
import { PATH_USAGE, pathCommand } from './path';
import { PATCH_USAGE, patchCommand } from './patch';
import { DLA_USAGE, dlaCommand, LENS_USAGE, lensCommand } from './dla';
import { runCommand } from './run';
import { GENERATE_USAGE, generateCommand } from './generate';
import { GRAPH_USAGE, graphCommand } from './graph';
import { HEADS_USAGE, headsCommand } from './heads';
import { HUB_USAGE, hubCommand } from './hub';
import { LAPE_USAGE, lapeCommand } from './lape';
import { LOOPS_USAGE, loopsCommand } from './loops';

/** Every CLI command: name → implementation returning the JSON printed on stdout, and a usage line. */
export const COMMANDS: Record<string, { run: (args: Args) => Promise<unknown>; usage: string }> = {
  run: {
    run: runCommand,
    usage: 'run --model M (--ids 1,2,3 | --text "..." | --image FILE.png|.jpg) [--backend cpu|wasm|webgpu] [--capture HOOK]... [--edit HOOK:INDEX:zero|mean|clamp=V|scale=V|add=V[@POS]]... [--grad POS:TOKEN | --grad CLASS (images)]',
  },
  generate: { run: generateCommand, usage: GENERATE_USAGE },
  lape: { run: lapeCommand, usage: LAPE_USAGE },
  loops: { run: loopsCommand, usage: LOOPS_USAGE },
  attribute: { run: attributeCommand, usage: ATTRIBUTE_USAGE },
  path: { run: pathCommand, usage: PATH_USAGE },
  faithfulness: { run: faithfulnessCommand, usage: FAITHFULNESS_USAGE },
  classpaths: { run: classpathsCommand, usage: CLASSPATHS_USAGE },
  heads: { run: headsCommand, usage: HEADS_USAGE },
  patch: { run: patchCommand, usage: PATCH_USAGE },
  dla: { run: dlaCommand, usage: DLA_USAGE },
  graph: { run: graphCommand, usage: GRAPH_USAGE },
  lens: { run: lensCommand, usage: LENS_USAGE },
  hub: { run: hubCommand, usage: HUB_USAGE },
};
