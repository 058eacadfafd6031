/** Small geometric helpers shared by the layout mechanisms. */
import type { Box, LayoutWord } from './types.js';

export function union(boxes: readonly Box[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x0);
    y0 = Math.min(y0, b.y0);
    x1 = Math.max(x1, b.x1);
    y1 = Math.max(y1, b.y1);
  }
  return { x0, y0, x1, y1 };
}

export function box(b: Box): Box {
  return { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 };
}

/** Length of the overlap of [a0,a1] and [b0,b1] (0 when apart). */
export function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A word's font size: the producer's when known, else its box height. */
export function wordSize(w: LayoutWord): number {
  return w.size !== undefined && w.size > 0 ? w.size : Math.max(w.y1 - w.y0, 0.1);
}

export const centreY = (b: Box): number => (b.y0 + b.y1) / 2;
export const centreX = (b: Box): number => (b.x0 + b.x1) / 2;
