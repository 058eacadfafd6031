/**
 * Resource limits for reading PDFs: the largest image pdfjs may decode, and how large a page may be
 * rendered. Pure (no pdfjs): the open, inspect and render modules enforce these.
 */

/**
 * Largest single image (pixels = width × height) we let pdfjs decode. Above this the page is refused
 * with `ImageTooLarge` (decompression bombs: an 11 KB file can declare a 35000×35000 image).
 * 100 MP ≈ 300–400 MB of decoded RGB(A); a 300-dpi A4 scan is 8.7 MP, an A0 poster at 300 dpi 140 MP.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Image XObjects in the file whose declared size exceeds `maxPixels`, found by scanning the raw bytes.
 *
 * pdfjs refuses such images BEFORE decoding them (`maxImageSize`), which keeps us safe, but it drops
 * them silently (no error reaches the API, even with `stopAtErrors`), so a decompression bomb would
 * look like a blank page. Image XObjects are streams, and streams are never inside object streams,
 * so their dictionaries are always present uncompressed in the file (also in encrypted files: only
 * strings and stream data are encrypted). Inline images (inside content streams) are not seen here;
 * pdfjs still refuses to decode them.
 */
export function findOversizedImages(bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): ImageSize[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const found: ImageSize[] = [];
  const re = /\/Subtype\s*\/Image\b/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // The enclosing dictionary: from the preceding "obj" to the following "stream" (bounded windows).
    const objAt = text.lastIndexOf('obj', m.index);
    const start = objAt >= 0 && m.index - objAt < 4096 ? objAt : Math.max(0, m.index - 4096);
    const streamAt = text.indexOf('stream', m.index);
    const end = streamAt >= 0 && streamAt - m.index < 4096 ? streamAt : Math.min(text.length, m.index + 4096);
    const dict = text.slice(start, end);
    const w = /\/Width\s+(\d{1,12})(?!\s+\d+\s+R)/.exec(dict);
    const h = /\/Height\s+(\d{1,12})(?!\s+\d+\s+R)/.exec(dict);
    if (!w?.[1] || !h?.[1]) continue;
    const width = Number(w[1]);
    const height = Number(h[1]);
    if (width * height > maxPixels) found.push({ width, height });
  }
  return found;
}

/** Target pixel budget of a render for OCR; bigger pages are rendered at a lower resolution. */
export const MAX_RENDER_PIXELS = 40_000_000;
/** Longest side of a render (canvas limits, and no OCR use for longer strips). */
export const MAX_RENDER_SIDE = 20_000;
/** Below this resolution OCR is pointless: pages that only fit lower are refused (`ImageTooLarge`). */
export const MIN_RENDER_DPI = 50;

export interface RenderPlan {
  dpi: number;
  width: number;
  height: number;
}

/**
 * Resolution and pixel size for rendering a page of `widthPt` × `heightPt` points at `dpi`, scaled
 * down to fit MAX_RENDER_PIXELS / MAX_RENDER_SIDE. Returns null when even MIN_RENDER_DPI does not fit
 * (or the size is absurd), i.e. the page must be refused.
 */
export function planRender(widthPt: number, heightPt: number, dpi: number): RenderPlan | null {
  if (!(widthPt > 0 && heightPt > 0 && Number.isFinite(widthPt) && Number.isFinite(heightPt))) return null;
  const inW = widthPt / 72;
  const inH = heightPt / 72;
  let d = dpi;
  d = Math.min(d, Math.sqrt(MAX_RENDER_PIXELS / (inW * inH)));
  d = Math.min(d, MAX_RENDER_SIDE / Math.max(inW, inH));
  if (!(d >= MIN_RENDER_DPI)) return null;
  // The canvas is the viewport rounded up: make sure the rounded size still fits the budget.
  while (Math.ceil(inW * d) * Math.ceil(inH * d) > MAX_RENDER_PIXELS || Math.max(Math.ceil(inW * d), Math.ceil(inH * d)) > MAX_RENDER_SIDE) d *= 0.999;
  return { dpi: d, width: Math.max(1, Math.ceil(inW * d)), height: Math.max(1, Math.ceil(inH * d)) };
}
