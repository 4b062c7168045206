/** How a token reads on screen: spaces, newlines, tabs and other control characters made visible. */
export function visibleToken(t: string): string {
  return t
    .replace(/ /g, '·')
    .replace(/\n/g, '↵')
    .replace(/\r/g, '␍')
    .replace(/\t/g, '⇥')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
