/**
 * The page's side of the session encoder worker (encode.worker.ts): a session in, its link fragment and the
 * normalization's notices out. Where no worker can start, or one fails, the encoding runs here instead.
 */
import { encodeWithNotices } from './codec';
import type { Session } from './schema';

export interface Encoded {
  fragment: string;
  notices: string[];
}
export interface EncodeRequest {
  id: number;
  session: Session;
}
export type EncodeReply = { id: number; fragment: string; notices: string[] } | { id: number; error: string };

export type SessionEncoder = (session: Session) => Promise<Encoded>;

/** An encoder backed by its own worker; null where workers cannot start (then the caller encodes in place). */
export function workerEncoder(): SessionEncoder | null {
  if (typeof Worker === 'undefined') return null;
  let worker: Worker | null;
  try {
    worker = new Worker(new URL('./encode.worker.ts', import.meta.url), { type: 'module', name: 'session-encoder' });
  } catch {
    return null;
  }
  let next = 0;
  const pending = new Map<number, { session: Session; resolve: (e: Encoded) => void; reject: (e: Error) => void }>();
  const fail = () => {
    worker?.terminate();
    worker = null;
    // What was in flight is encoded here; so is everything after.
    for (const [id, p] of pending) {
      pending.delete(id);
      try {
        p.resolve(encodeWithNotices(p.session));
      } catch (e) {
        p.reject(e as Error);
      }
    }
  };
  worker.onmessage = (e: MessageEvent<EncodeReply>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if ('error' in e.data) p.reject(new Error(e.data.error));
    else p.resolve({ fragment: e.data.fragment, notices: e.data.notices });
  };
  worker.onerror = fail;
  worker.onmessageerror = fail;
  return (session) =>
    new Promise((resolve, reject) => {
      if (!worker) return resolve(encodeWithNotices(session));
      const id = ++next;
      pending.set(id, { session, resolve, reject });
      try {
        worker.postMessage({ id, session } satisfies EncodeRequest);
      } catch {
        pending.delete(id);
        resolve(encodeWithNotices(session));
      }
    });
}
