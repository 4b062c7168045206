/**
 * Which model URLs a link may load without asking (pure; tested in Node). A link is somebody else's words: a model
 * on this page's own origin or on the Hugging Face hub loads at once; a model anywhere else loads only once the user
 * has seen where it comes from and said yes. Only http(s) URLs are fetched at all.
 */

/** Hosts whose models a link may open without asking. */
export const KNOWN_HOSTS = ['huggingface.co', 'hf.co'];

export type LinkVerdict = { kind: 'load'; url: string } | { kind: 'confirm'; url: string; origin: string } | { kind: 'refuse'; message: string };

export function modelUrlVerdict(raw: string, pageHref: string): LinkVerdict {
  let u: URL;
  try {
    u = new URL(raw, pageHref);
  } catch {
    return { kind: 'refuse', message: `The model URL "${raw.slice(0, 200)}" is not a valid address.` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { kind: 'refuse', message: `The model URL uses "${u.protocol}"; only http(s) addresses are fetched.` };
  const page = new URL(pageHref);
  if (u.origin === page.origin) return { kind: 'load', url: u.href };
  const host = u.hostname.toLowerCase();
  if (u.protocol === 'https:' && KNOWN_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) return { kind: 'load', url: u.href };
  return { kind: 'confirm', url: u.href, origin: u.origin };
}
