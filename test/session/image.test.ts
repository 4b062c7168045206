import { describe, expect, it } from 'vitest';
import { decodeSession, encodeFragment, encodeSession } from '../../src/session/codec';
import { defaultSession, type Session } from '../../src/session/schema';
import { sessionToStore, storeToSession } from '../../src/session/state';

const sha = 'ab'.repeat(32);
const vit = (image: Session['image']): Session => ({ ...defaultSession(), model: { kind: 'bundled', name: 'digits-vit' }, image });

describe('a vision session names its image, never carries it', () => {
  it('round-trips a bundled example by id and a user image by SHA-256 through the link', () => {
    for (const image of [{ example: '7-920' }, { sha256: sha, name: 'my digit.png' }, { sha256: sha }]) {
      const back = decodeSession(encodeSession(vit(image)));
      expect(back.status).toBe('ok');
      expect(back.session.image).toEqual(image);
      expect(back.session.model).toEqual({ kind: 'bundled', name: 'digits-vit' });
    }
  });

  it('leaves the field out for text sessions, so links made before it mean what they meant', () => {
    const s = defaultSession();
    expect(decodeSession(encodeSession(s)).session).toEqual(s);
    expect('image' in decodeSession(encodeSession(s)).session).toBe(false);
    expect(encodeSession(s)).toBe(encodeSession({ ...s, image: undefined }));
  });

  it('drops an image field that is not an example id or a SHA-256, with a notice naming it', () => {
    for (const bad of [{ sha256: 'xyz' }, { example: '../../etc' }, { pixels: [1, 2, 3] }, 'a.png']) {
      // A hand-made link: the encoder itself never writes such a field.
      const back = decodeSession(encodeFragment(2, { model: { kind: 'bundled', name: 'digits-vit' }, image: bad }));
      expect(back.session.image).toBeUndefined();
      expect(back.status).toBe('repaired');
      expect(back.notices.join(' ')).toMatch(/image/);
    }
  });

  it('maps between the store and the session', () => {
    const s = vit({ example: '3-882' });
    const patch = sessionToStore(s);
    expect(patch.image).toEqual({ example: '3-882' });
    expect(storeToSession({ ...patch, selected: null, edits: [] }).image).toEqual({ example: '3-882' });
    expect(storeToSession({ ...sessionToStore(defaultSession()), selected: null, edits: [] }).image).toBeUndefined();
  });
});
