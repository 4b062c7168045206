/** Model cards as a safe Markdown subset: structure, and nothing that could run or inject. */
import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from '../../src/views/markdown';
import { localModelName } from '../../src/app/model-card';

describe('markdown subset', () => {
  it('parses headings, paragraphs, lists, code and tables', () => {
    const md = '# Title\n\nSome *text* with **bold** and `code`\ncontinued.\n\n- one\n- two\n  more\n\n1. first\n2. second\n\n```\nx <b>\n```\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n';
    const b = parseMarkdown(md);
    expect(b.map((x) => x.kind)).toEqual(['heading', 'paragraph', 'list', 'list', 'code', 'table']);
    expect(b[0]).toEqual({ kind: 'heading', level: 1, children: [{ kind: 'text', text: 'Title' }] });
    expect(b[1]).toEqual({
      kind: 'paragraph',
      children: [
        { kind: 'text', text: 'Some ' },
        { kind: 'em', children: [{ kind: 'text', text: 'text' }] },
        { kind: 'text', text: ' with ' },
        { kind: 'strong', children: [{ kind: 'text', text: 'bold' }] },
        { kind: 'text', text: ' and ' },
        { kind: 'code', text: 'code' },
        { kind: 'text', text: ' continued.' },
      ],
    });
    expect(b[2]).toEqual({ kind: 'list', ordered: false, items: [[{ kind: 'text', text: 'one' }], [{ kind: 'text', text: 'two more' }]] });
    expect(b[3]).toMatchObject({ kind: 'list', ordered: true });
    expect(b[4]).toEqual({ kind: 'code', text: 'x <b>' });
    expect(b[5]).toEqual({ kind: 'table', head: [[{ kind: 'text', text: 'a' }], [{ kind: 'text', text: 'b' }]], rows: [[[{ kind: 'text', text: '1' }], [{ kind: 'text', text: '2' }]]] });
  });

  it('keeps raw HTML as text and drops links that are not http(s) or relative', () => {
    const b = parseMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(b).toEqual([{ kind: 'paragraph', children: [{ kind: 'text', text: '<script>alert(1)</script> <img src=x onerror=alert(1)>' }] }]);
    expect(parseInline('[x](javascript:alert(1))')).toEqual([{ kind: 'text', text: 'x' }, { kind: 'text', text: ')' }]);
    expect(parseInline('[x](data:text/html,hi)')).toEqual([{ kind: 'text', text: 'x' }]);
    expect(parseInline('[hub](https://huggingface.co/gpt2)')).toEqual([{ kind: 'link', href: 'https://huggingface.co/gpt2', children: [{ kind: 'text', text: 'hub' }] }]);
    expect(parseInline('![loss](loss.svg)', 'http://127.0.0.1:5173/models/polyglot/')).toEqual([{ kind: 'link', href: 'http://127.0.0.1:5173/models/polyglot/loss.svg', children: [{ kind: 'text', text: 'loss' }] }]);
    // Underscores inside words are not emphasis (snake_case names in cards).
    expect(parseInline('d_model and n_layer')).toEqual([{ kind: 'text', text: 'd_model and n_layer' }]);
    expect(parseInline('an _aside_ here')[1]).toEqual({ kind: 'em', children: [{ kind: 'text', text: 'aside' }] });
    expect(safeHref('//evil.example/x', 'http://a.example/')).toBeNull();
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref('loss.svg')).toBeNull(); // relative with nothing to resolve against
  });
});

describe('local model names', () => {
  const f = (name: string, webkitRelativePath = '') => ({ name, webkitRelativePath });
  it('the folder, else the config’s _name_or_path, else the file names', () => {
    expect(localModelName([f('config.json', 'my-gpt/config.json'), f('model.safetensors', 'my-gpt/model.safetensors')], '{"_name_or_path":"gpt2"}')).toBe('my-gpt');
    expect(localModelName([f('config.json')], '{}', 'dropped-folder')).toBe('dropped-folder');
    expect(localModelName([f('config.json'), f('model.safetensors')], '{"_name_or_path":"EleutherAI/pythia-70m"}')).toBe('EleutherAI/pythia-70m');
    expect(localModelName([f('config.json'), f('model.safetensors')], '{"_name_or_path":"/home/me/runs/tiny-stories/"}')).toBe('tiny-stories');
    expect(localModelName([f('config.json'), f('model.safetensors')], '{"_name_or_path":""}')).toBe('config.json + model.safetensors');
    expect(localModelName([f('config.json'), f('weights.safetensors')], 'not json')).toBe('config.json + weights.safetensors');
  });
});
