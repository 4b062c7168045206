/**
 * Gives a graph's scrolling container the height of what it draws (the CSS clamps it) so that it can be laid out
 * and painted on its own (`contain: strict` in the stylesheet, class `sized`): a change elsewhere on the page then
 * never lays out the hundreds of SVG elements inside, and a change inside never lays out the page. A horizontal
 * scrollbar, when the drawing is wider than the container, is given room.
 */
export function sizeContainer(el: HTMLElement, width: number, contentW: number, contentH: number): void {
  const h = `${Math.ceil(contentH + (contentW > width ? 16 : 0))}px`;
  if (el.style.getPropertyValue('--content-h') !== h) el.style.setProperty('--content-h', h);
}
