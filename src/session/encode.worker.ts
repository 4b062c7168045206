/**
 * Normalizes and encodes sessions for the page's link, off the main thread: validation and compression of a session
 * cost tens of ms on the main thread of a loaded 2-core machine (the code runs once per write, rarely warm).
 */
import { encodeWithNotices } from './codec';
import type { EncodeReply, EncodeRequest } from './encode-client';

self.onmessage = (e: MessageEvent<EncodeRequest>) => {
  const { id, session } = e.data;
  let reply: EncodeReply;
  try {
    reply = { id, ...encodeWithNotices(session) };
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.message : String(err) };
  }
  self.postMessage(reply);
};
