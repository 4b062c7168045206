/** The steering panel's input parsing and the edit it makes. */
import { describe, expect, it } from 'vitest';
import { parseSteeringPositions, promptLines, steeringAddEdit, steeringLabel } from '../../src/app/steering-actions';
import { sweepStrengths } from '../../src/analysis/steering-strengths';
import { SessionEdit } from '../../src/session/schema';

describe('steering panel input', () => {
  it('reads prompts one per line, skipping blank lines', () => {
    expect(promptLines(' Der Hund \n\n Die Katze\r\n')).toEqual(['Der Hund', 'Die Katze']);
  });

  it('reads positions: all, last, or a list (sorted, without repeats) within the context', () => {
    expect(parseSteeringPositions('all', 5, 128)).toBeNull();
    expect(parseSteeringPositions('', 5, 128)).toBeNull();
    expect(parseSteeringPositions('last', 5, 128)).toEqual([4]);
    expect(parseSteeringPositions('5, 1 3,3', 5, 128)).toEqual([1, 3, 5]);
    expect(() => parseSteeringPositions('1,-2', 5, 128)).toThrow('"-2" is not a position');
    expect(() => parseSteeringPositions('128', 5, 128)).toThrow("128 is past the model's context (positions 0 … 127)");
    expect(() => parseSteeringPositions('last', 0, 128)).toThrow('type a prompt first');
  });

  it('makes one add edit over the whole residual vector that the session schema accepts', () => {
    const v = Float32Array.from([0.5, -1.25, 2]);
    const e = steeringAddEdit(2, 'hook_resid_post', v, -3, [1, 4]);
    expect(e).toEqual({ hook: 'blocks.2.hook_resid_post', index: null, op: 'add', value: -3, vector: [0.5, -1.25, 2], positions: [1, 4] });
    const label = steeringLabel(2, 'hook_resid_post', -3, [1, 4], ['Der Hund ist'], ['The dog is', 'The cat is'], 4.1375);
    expect(label).toBe('steer L2.post α=-3 ‖v‖=4.14 @1,4: "Der Hund ist" − 2 prompts');
    expect(SessionEdit.safeParse({ ...e, enabled: true, label }).success).toBe(true);
    expect(() => steeringAddEdit(0, 'hook_resid_pre', v, NaN, null)).toThrow('is not a number');
  });

  it('sweeps strengths with both ends included', () => {
    expect(sweepStrengths(-8, 8, 2)).toEqual([-8, -6, -4, -2, 0, 2, 4, 6, 8]);
    expect(sweepStrengths(0, 1, 0.1)).toHaveLength(11);
    expect(sweepStrengths(0, 1, 0.1)[3]).toBe(0.3);
  });
});
