import { describe, expect, it } from 'vitest';
import { modelUrlVerdict } from '../../src/app/link-policy';

const PAGE = 'http://127.0.0.1:4173/?model=polyglot';

describe('model URLs in links', () => {
  it('loads this origin and the hub at once, asks for any other origin, refuses what is not http(s)', () => {
    expect(modelUrlVerdict('/models/polyglot/', PAGE)).toEqual({ kind: 'load', url: 'http://127.0.0.1:4173/models/polyglot/' });
    expect(modelUrlVerdict('https://huggingface.co/openai-community/gpt2/resolve/main/', PAGE).kind).toBe('load');
    expect(modelUrlVerdict('https://evil.example/big-model/', PAGE)).toEqual({ kind: 'confirm', url: 'https://evil.example/big-model/', origin: 'https://evil.example' });
    expect(modelUrlVerdict('http://huggingface.co/x/', PAGE).kind).toBe('confirm');
    expect(modelUrlVerdict('https://huggingface.co.evil.example/x/', PAGE).kind).toBe('confirm');
    expect(modelUrlVerdict('data:application/json,{}', PAGE)).toMatchObject({ kind: 'refuse', message: /"data:"; only http\(s\)/ });
    expect(modelUrlVerdict('javascript:alert(1)', PAGE).kind).toBe('refuse');
    expect(modelUrlVerdict('http://[bad', PAGE).kind).toBe('refuse');
  });
});
