import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Edit } from '../../src/engine/types';
import type { Reference } from './fixture';

/**
 * The architecture fixtures (copies of ../shared/fixtures, see test/fixtures/README.md): a checkpoint per
 * architecture with reference numbers from an independent PyTorch implementation.
 */
export const ARCH_FIXTURES = ['gpt2-tiny', 'gptneo-tiny', 'pythia-tiny', 'llama-tiny'] as const;
export type ArchFixture = (typeof ARCH_FIXTURES)[number];

export const fixtureDir = (name: string) => join(__dirname, '..', 'fixtures', name);

export function fixtureReference(name: string): Reference {
  return JSON.parse(readFileSync(join(fixtureDir(name), 'reference.json'), 'utf8'));
}

/** The reference's intervention cases as engine edits. */
export function referenceEdits(ref: Reference): Edit[][] {
  return ref.interventions.map((c) =>
    c.edits.map((e) => ({ hook: e.hook, index: e.neuron, op: e.kind, value: e.value ?? undefined, positions: e.position === null ? null : [e.position] })),
  );
}
