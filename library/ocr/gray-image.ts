/** Grayscale page images as the OCR step handles them: PGM in and out, rotation, cropping. */

/** A word's box in pixels, origin top left. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Gray {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Parse a binary 8-bit PGM (P5); null for anything else. */
export function parsePgm(bytes: Uint8Array): Gray | null {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x35) return null; // "P5"
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3 && i < bytes.length && i < 1024) {
    const c = bytes[i]!;
    if (c === 0x23) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++; // comment
    } else if (c >= 0x30 && c <= 0x39) {
      let v = 0;
      while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) v = v * 10 + (bytes[i++]! - 0x30);
      fields.push(v);
      continue;
    }
    i++;
  }
  const [width, height, max] = fields;
  if (!width || !height || max !== 255) return null;
  const start = i + 1; // exactly one whitespace byte follows maxval
  if (bytes.length - start < width * height) return null;
  return { width, height, data: bytes.subarray(start, start + width * height) };
}

export function encodePgm(g: Gray): Uint8Array {
  const header = Buffer.from(`P5\n${g.width} ${g.height}\n255\n`, 'latin1');
  const out = new Uint8Array(header.length + g.data.length);
  out.set(header, 0);
  out.set(g.data, header.length);
  return out;
}

/** Rotate clockwise by 90/180/270°. */
export function rotateGray(g: Gray, degrees: 0 | 90 | 180 | 270): Gray {
  if (degrees === 0) return g;
  const { width: w, height: h, data } = g;
  const out = new Uint8Array(w * h);
  if (degrees === 180) {
    for (let i = 0, n = w * h; i < n; i++) out[n - 1 - i] = data[i]!;
    return { width: w, height: h, data: out };
  }
  // 90° cw: (x, y) → (h-1-y, x) in a h×w image; 270° cw: (x, y) → (y, w-1-x).
  const nw = h;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const v = data[row + x]!;
      if (degrees === 90) out[x * nw + (h - 1 - y)] = v;
      else out[(w - 1 - x) * nw + y] = v;
    }
  }
  return { width: h, height: w, data: out };
}

export function cropGray(g: Gray, x: number, y: number, w: number, h: number): Gray {
  const out = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) out.set(g.data.subarray((y + r) * g.width + x, (y + r) * g.width + x + w), r * w);
  return { width: w, height: h, data: out };
}

/** Map a box found in an image rotated clockwise by `deg` back to the original image. */
export function unrotateBox(b: Box, deg: 0 | 90 | 180 | 270, origW: number, origH: number): Box {
  switch (deg) {
    case 0:
      return b;
    case 180:
      return { x0: origW - b.x1, y0: origH - b.y1, x1: origW - b.x0, y1: origH - b.y0 };
    case 90: // rotated (X, Y) = (origH-1-y, x)  ⇒  x = Y, y = origH-1-X
      return { x0: b.y0, y0: origH - b.x1, x1: b.y1, y1: origH - b.x0 };
    case 270: // rotated (X, Y) = (y, origW-1-x)  ⇒  x = origW-1-Y, y = X
      return { x0: origW - b.y1, y0: b.x0, x1: origW - b.y0, y1: b.x1 };
  }
}
