import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/engine/bytes';
import { PathlightError } from '../../src/engine/errors';
import { loadModel } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { BAD_CASES, fixtureBytes, fixtureConfig } from './bad-inputs';

describe('bad inputs are refused with their own message', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  it.each(BAD_CASES)('$name', async (c) => {
    const before = tf.memory().numTensors;
    const attempt = async () => {
      const model = await loadModel({ config: c.config ?? fixtureConfig, safetensors: bytesSource(c.safetensors ?? fixtureBytes) });
      try {
        await runModel(model, { inputIds: [c.ids ?? [1, 2, 3]] });
      } finally {
        model.dispose();
      }
    };
    const err = await attempt().then(() => null, (e) => e);
    expect(err).toBeInstanceOf(PathlightError);
    expect(err.message).toMatch(c.message);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('messages are distinct', () => {
    expect(new Set(BAD_CASES.map((c) => c.message.source)).size).toBe(BAD_CASES.length);
  });
});
