import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeSession, encodeSession, encodeWithNotices } from '../../src/session/codec';
import { defaultSession, type Session } from '../../src/session/schema';
import { createUrlSync, readSessionFromLocation, sessionUrl } from '../../src/session/url-sync';
import type { Encoded } from '../../src/session/encode-client';

/** A location + history pair where replaceState updates the location, as in a browser. */
function fakeBrowser(url = 'https://pathlight.example/app/?model=induction&debug=1') {
  const u = new URL(url);
  const loc = { hash: u.hash, pathname: u.pathname, search: u.search };
  const calls: string[] = [];
  const history = {
    state: { keep: true },
    replaceState(data: unknown, _t: string, next?: string | URL | null) {
      expect(data).toEqual({ keep: true });
      const n = new URL(String(next), u);
      loc.hash = n.hash;
      loc.pathname = n.pathname;
      loc.search = n.search;
      calls.push(String(next));
    },
  };
  const events = new EventTarget();
  return { loc, history, calls, events };
}

describe('URL sync', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes the fragment once after the quiet time, replacing (not pushing) history', () => {
    const b = fakeBrowser();
    let s: Session = defaultSession();
    const sync = createUrlSync({ get: () => s, debounceMs: 200, location: b.loc, history: b.history, events: b.events });
    s = { ...s, prompt: 'a' };
    sync.schedule();
    vi.advanceTimersByTime(100);
    s = { ...s, prompt: 'ab' };
    sync.schedule();
    vi.advanceTimersByTime(150);
    expect(b.calls).toEqual([]);
    vi.advanceTimersByTime(60);
    expect(b.calls.length).toBe(1);
    // The fragment supersedes ?model= (and modelUrl, backend); other parameters stay.
    expect(b.calls[0]).toBe(`/app/?debug=1#${encodeSession(s)}`);
    expect(readSessionFromLocation(b.loc)?.session.prompt).toBe('ab');
    // Nothing changed: no new write.
    sync.schedule();
    vi.advanceTimersByTime(300);
    expect(b.calls.length).toBe(1);
    sync.dispose();
  });

  it('with an encoder (the worker), a scheduled write is encoded there; a flush meanwhile wins over its late answer', async () => {
    const b = fakeBrowser();
    let s: Session = { ...defaultSession(), prompt: 'first' };
    const asked: Array<{ session: Session; answer: () => void }> = [];
    const encode = (session: Session) =>
      new Promise<Encoded>((resolve) => asked.push({ session, answer: () => resolve(encodeWithNotices(session)) }));
    const sync = createUrlSync({ get: () => s, debounceMs: 100, encode, location: b.loc, history: b.history, events: b.events });
    sync.schedule();
    vi.advanceTimersByTime(120);
    expect(asked.map((a) => a.session.prompt)).toEqual(['first']);
    expect(b.calls).toEqual([]); // nothing is encoded on this thread
    asked[0].answer();
    await Promise.resolve();
    await Promise.resolve();
    expect(readSessionFromLocation(b.loc)?.session.prompt).toBe('first');
    // A write scheduled, then a flush before its answer: the flushed session stays, the late answer is dropped.
    s = { ...s, prompt: 'second' };
    sync.schedule();
    vi.advanceTimersByTime(120);
    s = { ...s, prompt: 'third' };
    expect(sync.flush()).toBe(encodeSession(s));
    asked[1].answer();
    await Promise.resolve();
    await Promise.resolve();
    expect(readSessionFromLocation(b.loc)?.session.prompt).toBe('third');
    expect(b.calls.length).toBe(2);
    sync.dispose();
  });

  it('flush writes now; dispose stops pending writes', () => {
    const b = fakeBrowser();
    const s = { ...defaultSession(), prompt: 'now' };
    const sync = createUrlSync({ get: () => s, location: b.loc, history: b.history, events: b.events });
    expect(sync.flush()).toBe(encodeSession(s));
    expect(sync.last).toBe(encodeSession(s));
    sync.schedule();
    sync.dispose();
    vi.advanceTimersByTime(1000);
    expect(b.calls.length).toBe(1);
  });

  it('a session too large for a link clears the fragment and reports it', () => {
    const b = fakeBrowser('https://x.example/#s2.old');
    const errors: string[] = [];
    // Vectors of random numbers do not compress: ~64 edits × 8192 numbers is far over the cap.
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const big: Session = { ...defaultSession(), edits: Array.from({ length: 8 }, () => ({ hook: 'blocks.0.hook_resid_post', index: null, op: 'add' as const, value: 1, vector: Array.from({ length: 2000 }, rnd), positions: null, enabled: true })) };
    const sync = createUrlSync({ get: () => big, location: b.loc, history: b.history, events: b.events, onError: (m) => errors.push(m) });
    expect(sync.flush()).toBeNull();
    expect(errors[0]).toMatch(/too large for a link/);
    expect(b.loc.hash).toBe('');
  });

  it('a session the link cannot hold whole is reported once (e.g. a prompt over the limit)', () => {
    const b = fakeBrowser();
    const errors: string[] = [];
    const long = { ...defaultSession(), prompt: 'y'.repeat(4500) };
    const sync = createUrlSync({ get: () => long, location: b.loc, history: b.history, events: b.events, onError: (m) => errors.push(m) });
    sync.flush();
    sync.flush();
    expect(errors).toEqual(['The link does not hold all of this session: The prompt is 4500 characters long; it was cut to the first 4000.']);
    expect(readSessionFromLocation(b.loc)?.session.prompt).toBe('y'.repeat(4000));
  });

  it('a get() that throws is reported, not thrown from the timer', () => {
    const b = fakeBrowser();
    const errors: string[] = [];
    const sync = createUrlSync({
      get: () => {
        throw new Error('no fingerprint');
      },
      location: b.loc,
      history: b.history,
      events: b.events,
      onError: (m) => errors.push(m),
    });
    sync.schedule();
    vi.advanceTimersByTime(1000);
    expect(errors).toEqual(['The link could not be updated: no fingerprint']);
    expect(b.calls).toEqual([]);
  });

  it('a link pasted into the same tab (hashchange) is decoded and handed over', () => {
    const b = fakeBrowser();
    const seen: string[] = [];
    const sync = createUrlSync({ get: defaultSession, location: b.loc, history: b.history, events: b.events, onExternalChange: (d) => seen.push(d.session.prompt) });
    sync.flush();
    b.events.dispatchEvent(new Event('hashchange')); // our own write: ignored
    b.loc.hash = `#${encodeSession({ ...defaultSession(), prompt: 'pasted' })}`;
    b.events.dispatchEvent(new Event('hashchange'));
    b.loc.hash = '#section-2'; // not a session: ignored
    b.events.dispatchEvent(new Event('hashchange'));
    expect(seen).toEqual(['pasted']);
  });
});

describe('readSessionFromLocation / sessionUrl', () => {
  it('null without a session fragment; a valid session (with notices) with one', () => {
    expect(readSessionFromLocation({ hash: '', pathname: '/', search: '' })).toBeNull();
    expect(readSessionFromLocation({ hash: '#about', pathname: '/', search: '' })).toBeNull();
    const d = readSessionFromLocation({ hash: '#s2.garbage!', pathname: '/', search: '' });
    expect(d?.session).toEqual(defaultSession());
    expect(d?.notices.length).toBe(1);
  });

  it('sessionUrl keeps the path and unrelated parameters', () => {
    const s = { ...defaultSession(), prompt: 'x' };
    const url = sessionUrl(s, { hash: '#old', pathname: '/p/', search: '?backend=cpu&lang=de' });
    expect(url).toBe(`/p/?lang=de#${encodeSession(s)}`);
    expect(decodeSession(url.split('#')[1]).session).toEqual(s);
  });
});
