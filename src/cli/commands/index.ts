import type { Args } from '../args';
import { attributeCommand, faithfulnessCommand, pathCommand } from './analysis';
import { runCommand } from './run';
import { GENERATE_USAGE, generateCommand } from './generate';
import { LAPE_USAGE, lapeCommand } from './lape';
import { LOOPS_USAGE, loopsCommand } from './loops';

/** Every CLI command: name → implementation returning the JSON printed on stdout, and a usage line. */
export const COMMANDS: Record<string, { run: (args: Args) => Promise<unknown>; usage: string }> = {
  run: {
    run: runCommand,
    usage: 'run --model M (--ids 1,2,3 | --text "...") [--backend cpu|wasm|webgpu] [--capture HOOK]... [--edit HOOK:INDEX:zero|mean|clamp=V|scale=V|add=V[@POS]]... [--grad POS:TOKEN]',
  },
  generate: { run: generateCommand, usage: GENERATE_USAGE },
  lape: { run: lapeCommand, usage: LAPE_USAGE },
  loops: { run: loopsCommand, usage: LOOPS_USAGE },
  attribute: {
    run: attributeCommand,
    usage: 'attribute --model M (--text T | --ids 1,2,3) --target TOK [--distractor TOK] [--target-kind logit|logit_diff|logprob] --method act|grad|gxa|ig|ablate [--steps m] [--layer L] [--positions last|all|P]',
  },
  path: {
    run: pathCommand,
    usage: 'path --model M (--text T | --ids 1,2,3) --target TOK [--distractor TOK] [--steps m] [--beam k] [--seed s]',
  },
  faithfulness: {
    run: faithfulnessCommand,
    usage: 'faithfulness --model M --prompts FILE [--steps m] [--limit n]',
  },
};
