import { useLayoutEffect, useState, type RefObject } from 'react';

/**
 * The element's content width as a ResizeObserver reports it (after the browser's own layout), null until the first
 * report. A draw function given this width never reads it from the DOM: reading clientWidth right after React has
 * changed the page forces a layout of the whole page inside the task (tens of ms at 12 layers). Where there is no
 * ResizeObserver (Node tests), the width is read once.
 */
export function useWidth(ref: RefObject<HTMLElement | null>): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (typeof ResizeObserver === 'undefined') {
      setWidth(el.clientWidth);
      return;
    }
    const ro = new ResizeObserver((entries) => {
      const w = Math.round(entries[entries.length - 1].contentRect.width);
      setWidth((prev) => (prev === w ? prev : w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}
