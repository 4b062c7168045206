/**
 * Keeps the page URL's fragment in step with the session (history.replaceState, debounced, so the back
 * button is not flooded) and reads a session from the URL when the page opens.
 */
import { decodeSession, encodeSession, encodeWithNotices, isSessionFragment, MAX_FRAGMENT_CHARS, type Decoded } from './codec';
import type { Encoded, SessionEncoder } from './encode-client';
import type { Session } from './schema';

/** The parts of `location` and `history` used (injectable for tests). */
export interface LocationLike {
  hash: string;
  pathname: string;
  search: string;
}
export interface HistoryLike {
  state: unknown;
  replaceState(data: unknown, unused: string, url?: string | URL | null): void;
}

/** Query parameters that the fragment supersedes; removed from the URL when the fragment is written. */
export const SUPERSEDED_PARAMS = ['model', 'modelUrl', 'backend'];

/**
 * The session in the URL's fragment, or null when the fragment holds none (empty, or someone else's).
 * A session fragment always gives a valid session; problems are in `notices`.
 */
export function readSessionFromLocation(loc: LocationLike = globalThis.location): Decoded | null {
  const hash = loc?.hash ?? '';
  if (!isSessionFragment(hash)) return null;
  return decodeSession(hash);
}

/** The URL (path, query without the superseded parameters, fragment) for a session. */
export function sessionUrl(session: Session, loc: LocationLike = globalThis.location): string {
  return urlWithFragment(encodeSession(session), loc);
}

function urlWithFragment(fragment: string, loc: LocationLike): string {
  const params = new URLSearchParams(loc.search);
  for (const p of SUPERSEDED_PARAMS) params.delete(p);
  const q = params.toString();
  return `${loc.pathname}${q ? `?${q}` : ''}${fragment ? `#${fragment}` : ''}`;
}

export interface UrlSyncOptions {
  /** The current session (called when a write is due, not on every change). */
  get: () => Session;
  /** Quiet time before a write; default 300 ms. */
  debounceMs?: number;
  /**
   * Called when the session cannot be written (too large for a link, or `get` threw), or when the link
   * cannot hold all of it (e.g. a prompt over the length limit: the link holds the first 4000 characters).
   * Each distinct message once in a row.
   */
  onError?: (message: string) => void;
  /** Called when the user changes the fragment by hand (pastes another link in the same tab). */
  onExternalChange?: (decoded: Decoded) => void;
  location?: LocationLike;
  history?: HistoryLike;
  /**
   * Encodes a session for a scheduled write, off the main thread (workerEncoder); without it, writes encode at
   * once. `flush` always encodes at once (a link copied or a page left needs it now) and supersedes a pending one.
   */
  encode?: SessionEncoder | null;
  /** Where `hashchange` is listened for; default `window` when there is one. */
  events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
}

export interface UrlSync {
  /** Something changed: write the URL after the quiet time (restarts the timer). */
  schedule(): void;
  /** Write now (e.g. before copying the link); returns the fragment written (no `#`). */
  flush(): string | null;
  /** The fragment last written, or null. */
  readonly last: string | null;
  dispose(): void;
}

export function createUrlSync(o: UrlSyncOptions): UrlSync {
  const loc = o.location ?? globalThis.location;
  const hist = o.history ?? globalThis.history;
  const wait = o.debounceMs ?? 300;
  const events = o.events === undefined ? (typeof window !== 'undefined' ? window : null) : o.events;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: string | null = null;
  let disposed = false;
  let lastReport: string | null = null;
  const report = (m: string) => {
    if (m !== lastReport) o.onError?.(m);
    lastReport = m;
  };

  /** Puts an encoded session into the URL (or reports why not); returns the fragment written. */
  const apply = (e: Encoded): string | null => {
    if (e.notices.length) report(`The link does not hold all of this session: ${e.notices.join(' ')}`);
    let fragment = e.fragment;
    if (fragment.length > MAX_FRAGMENT_CHARS) {
      report(`This session is too large for a link (${Math.round(fragment.length / 1024)} KB); save or export it instead.`);
      fragment = '';
    }
    if (fragment !== last || loc.hash.replace(/^#/, '') !== fragment) {
      hist.replaceState(hist.state, '', urlWithFragment(fragment, loc));
      last = fragment;
    }
    return fragment || null;
  };
  const failed = (e: unknown) => report(`The link could not be updated: ${e instanceof Error ? e.message : String(e)}`);
  /** Bumped by every write: an encoding that comes back after a newer write started is dropped. */
  let seq = 0;

  const write = (): string | null => {
    timer = null;
    seq++;
    if (disposed) return null;
    try {
      return apply(encodeWithNotices(o.get()));
    } catch (e) {
      failed(e);
      return null;
    }
  };
  /** A scheduled write: encoded by `o.encode` (a worker) where given, else at once. */
  const writeLater = () => {
    if (!o.encode) return void write();
    timer = null;
    const mine = ++seq;
    if (disposed) return;
    let session: Session;
    try {
      session = o.get();
    } catch (e) {
      return failed(e);
    }
    o.encode(session).then(
      (e) => mine === seq && !disposed && apply(e),
      (e) => mine === seq && !disposed && failed(e),
    );
  };

  const onHashChange = () => {
    const now = loc.hash.replace(/^#/, '');
    if (now === last || !isSessionFragment(now)) return;
    last = now;
    o.onExternalChange?.(decodeSession(now));
  };
  events?.addEventListener('hashchange', onHashChange);

  return {
    schedule() {
      if (disposed) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(writeLater, wait);
    },
    flush() {
      if (timer !== null) clearTimeout(timer);
      return write();
    },
    get last() {
      return last;
    },
    dispose() {
      disposed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      events?.removeEventListener('hashchange', onHashChange);
    },
  };
}
