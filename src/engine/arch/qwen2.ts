/** Qwen2 (`model_type: "qwen2"`, Qwen2.5): the Llama block with biases on q/k/v (not o); sliding-window attention is refused. */
import { refuseUnless } from './config-fields';
import { llamaFamily } from './llama';

export const qwen2 = llamaFamily({
  modelType: 'qwen2',
  biases: () => ({ qkv: true, o: false, mlp: false }),
  refuse: (c) => refuseUnless(c, 'use_sliding_window', (v) => v === false, 'sliding-window attention (Qwen2) is not implemented'),
});
