import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSession } from '../../src/session/codec';
import { defaultSession, type Session } from '../../src/session/schema';
import { FILE_KIND_ALL, FILE_KIND_ONE, openSessionStore, type SessionStore } from '../../src/session/store';
import { session as arbSession } from './arbitraries';

let n = 0;
const opened: SessionStore[] = [];
async function fresh(name = `test-${++n}`) {
  const s = await openSessionStore({ dbName: name });
  opened.push(s);
  return s;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

const sample = (prompt: string, model: Session['model'] = { kind: 'bundled', name: 'polyglot' }): Session => ({
  ...defaultSession(),
  model,
  prompt,
  edits: [{ hook: 'blocks.1.mlp.hook_post', index: 7, op: 'zero', positions: [2], enabled: true, label: 'L1.N7@2 zero' }],
  selected: ['L1.N7@2'],
});

describe('saved sessions (IndexedDB)', () => {
  it('save, get, list (newest first, with model and date), rename, update, delete', async () => {
    const st = await fresh();
    const a = await st.save('first', sample('Der Hund'));
    await new Promise((r) => setTimeout(r, 5));
    const b = await st.save('  second\n one ', sample('El perro', { kind: 'url', url: 'https://example.org/models/tiny/' }));
    const list = await st.list();
    expect(list.map((x) => x.name)).toEqual(['second one', 'first']);
    expect(list[0].model).toBe('example.org/models/tiny');
    expect(list[1].model).toBe('polyglot');
    expect(list[1].prompt).toBe('Der Hund');
    expect(list[0].savedAt).toBeGreaterThanOrEqual(list[1].savedAt);
    expect(Math.abs(list[0].savedAt - Date.now())).toBeLessThan(60_000);

    const got = await st.get(a);
    expect(got?.session).toEqual(sample('Der Hund'));
    expect(got?.notices).toEqual([]);

    await st.rename(a, 'renamed');
    expect((await st.get(a))?.name).toBe('renamed');
    await st.rename(a, '   ');
    expect((await st.get(a))?.name).toBe('renamed');

    await st.update(b, sample('Il cane'));
    expect((await st.get(b))?.session.prompt).toBe('Il cane');
    expect((await st.get(b))?.name).toBe('second one');

    await st.delete(a);
    expect((await st.list()).map((x) => x.id)).toEqual([b]);
    expect(await st.get(a)).toBeNull();
    await expect(st.rename(a, 'x')).rejects.toThrow(/No saved session/);
  });

  it('saved sessions survive closing and reopening the database (a reload)', async () => {
    const st = await fresh('reload');
    const id = await st.save('kept', sample('persist me'));
    st.close();
    const again = await fresh('reload');
    expect((await again.list()).map((x) => x.id)).toEqual([id]);
    expect((await again.get(id))?.session.prompt).toBe('persist me');
  });

  it('saving strips UI-only fields; a damaged stored record is repaired on read', async () => {
    const st = await fresh();
    const id = await st.save('ui', { ...sample('x'), edits: [{ ...sample('x').edits[0], id: 'e1' }] } as unknown as Session);
    expect((await st.get(id))?.session.edits[0]).not.toHaveProperty('id');
    // A record written by an older app (v1 object) or damaged by hand.
    const raw = indexedDB.open(`test-${n}`);
    const db: IDBDatabase = await new Promise((r) => (raw.onsuccess = () => r(raw.result)));
    await new Promise<void>((r) => {
      const tx = db.transaction('sessions', 'readwrite');
      tx.objectStore('sessions').put({ id: 'old', name: 'old', model: 'polyglot', savedAt: 1, prompt: 'p', session: { v: 1, prompt: 'from v1', steps: 99999 } });
      tx.oncomplete = () => r();
    });
    db.close();
    const old = await st.get('old');
    expect(old?.session.prompt).toBe('from v1');
    expect(old?.session.method.steps).toBe(256);
    expect(old?.notices.length).toBe(1);
  });

  it('export one / all and import: a round trip into another database', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), arbSession), { minLength: 1, maxLength: 4 }), async (entries) => {
        const src = await fresh();
        for (const [name, s] of entries) await src.save(name, s);
        const all = await src.exportAll();
        expect(JSON.parse(all).kind).toBe(FILE_KIND_ALL);
        const dst = await fresh();
        const report = await dst.importText(all);
        expect(report.rejected).toEqual([]);
        expect(report.warnings).toEqual([]);
        // Same entries (names, dates, models, sessions); identical entries (same name, time and session) are one
        // record, so importing is idempotent; order among equal dates and names is not defined.
        const contents = async (st: SessionStore) =>
          [...new Set(await Promise.all((await st.list()).map(async ({ id, ...info }) => JSON.stringify([info, (await st.get(id))?.session]))))].sort();
        expect(report.imported.length).toBe((await contents(src)).length);
        expect(await contents(dst)).toEqual(await contents(src));
        // Importing the same file again adds nothing.
        const again = await dst.importText(all);
        expect(again.imported.length).toBe(report.imported.length);
        expect((await dst.list()).length).toBe(report.imported.length);
        const a = await src.list();

        const one = await src.exportOne(a[0].id);
        expect(JSON.parse(one).kind).toBe(FILE_KIND_ONE);
        const r1 = await dst.importText(one);
        expect(r1.imported.length).toBe(1);
        expect((await dst.get(r1.imported[0].id))?.session).toEqual((await src.get(a[0].id))?.session);
      }),
      { numRuns: 15 },
    );
  });

  it('import keeps valid entries, reports invalid ones, warns about repaired ones', async () => {
    const st = await fresh();
    const file = JSON.stringify({
      kind: FILE_KIND_ALL,
      version: 1,
      sessions: [
        { name: 'good', savedAt: '2024-05-01T10:00:00.000Z', session: sample('good') },
        { name: 'not a session', savedAt: 'x', session: 'hello' },
        { name: 'repaired', session: { ...sample('r'), method: { ...defaultSession().method, steps: 1000 } } },
        42,
        { name: '<img src=x onerror=alert(1)>', session: { ...sample('<script>x</script>') } },
      ],
    });
    const r = await st.importText(file);
    expect(r.imported.map((x) => x.name)).toEqual(['good', 'repaired', '<img src=x onerror=alert(1)>']);
    expect(r.imported[0].savedAt).toBe(Date.parse('2024-05-01T10:00:00.000Z'));
    expect(r.rejected.map((x) => x.entry)).toEqual([2, 4]);
    expect(r.rejected[0].reason).toMatch(/not an object/);
    expect(r.warnings).toEqual(['repaired: The number of steps 1000 is outside 1..256; using 256.']);
    const scripted = await st.get(r.imported[2].id);
    expect(scripted?.session.prompt).toBe('<script>x</script>');
  });

  it('imports a bare session object or a session link; refuses other files', async () => {
    const st = await fresh();
    expect((await st.importText(JSON.stringify(sample('bare')))).imported.length).toBe(1);
    const link = `https://pathlight.example/?x=1#${encodeSession(sample('linked'))}`;
    const r = await st.importText(link);
    expect(r.imported.length).toBe(1);
    expect((await st.get(r.imported[0].id))?.session.prompt).toBe('linked');
    for (const bad of ['', 'not json', '[1,2,3]', '{"kind":"something-else"}', '#s2.AAAA']) {
      const rep = await st.importText(bad);
      expect(rep.imported).toEqual([]);
      expect(rep.rejected.length).toBe(1);
    }
    expect((await st.list()).length).toBe(2);
  });
});
