/**
 * Render one PDF page to an image for OCR (pdfjs-dist + its @napi-rs/canvas).
 *
 * Output format: a binary PGM (P5, 8-bit grayscale). Tesseract reads PNM through Leptonica, it needs
 * grayscale anyway, and building a PGM from the canvas pixels is a plain loop, far cheaper than PNG
 * encoding and a quarter of the bytes. Use `encodePng` if you need a viewable image.
 *
 * Resource limits, all checked BEFORE allocating:
 * - images over MAX_IMAGE_PIXELS are refused (`ImageTooLarge`): pdfjs itself refuses to decode them
 *   (`maxImageSize`); we find them by their declared size (see findOversizedImages);
 * - the render is capped at MAX_RENDER_PIXELS (big pages are rendered at a lower dpi) and
 *   MAX_RENDER_SIDE; pages that would need less than MIN_RENDER_DPI to fit are refused.
 * Pages render upright: the viewport applies the page's /Rotate.
 */
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PipelineError } from '../../core/errors.js';
import { analysePageContent, drawsOversizedImage, type PageContent, type PlacedImage } from './content.js';
import { decideOcr, type OcrReason } from './inspect.js';
import { findOversizedImages, MAX_IMAGE_PIXELS, planRender, type ImageSize } from './limits.js';
import { closePdf, getPageChecked, openPdf, TIMEOUTS, toPipelineError, type PDFDocumentProxy, type PDFPageProxy } from './open.js';
import { withTimeout } from '../../core/with-timeout.js';
import { readPageText } from './text-layer.js';

export interface RenderOptions {
  /** Target resolution (default 300). Lowered automatically for very large pages. */
  dpi?: number;
  password?: string;
  /**
   * Raise the resolution (up to this dpi) when the page is a small page holding a higher-resolution
   * scan, so the OCR sees the scan's real detail (e.g. a 2400-dpi image on a 1.7-inch page).
   * Default 600; set to `dpi` to disable.
   */
  maxDpi?: number;
}

export interface RenderedPage {
  /** 1-based page number. */
  pageNo: number;
  /** Binary PGM (P5) bytes: what `OcrPool.recognize` takes. */
  image: Uint8Array;
  format: 'pgm';
  /** Pixel size of `image`. */
  width: number;
  height: number;
  /** Resolution actually used. */
  dpi: number;
  /** Page size as displayed, in points. */
  widthPt: number;
  heightPt: number;
  /** 'render': pdfjs drew the page; 'embedded-image': the page's own scan image, taken as stored. */
  origin: 'render' | 'embedded-image';
}

interface NodeCanvas {
  width: number;
  height: number;
}
interface NodeContext {
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}

/** Below this many render pixels at the requested dpi a page counts as "small" (see maxDpi). */
const SMALL_PAGE_PIXELS = 4_000_000;

/** Grayscale PGM from RGBA pixels (ITU-R BT.601 luma; alpha composited on white). */
export function rgbaToPgm(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const out = new Uint8Array(header.length + width * height);
  out.set(header, 0);
  let o = header.length;
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3]!;
    const y = (rgba[i]! * 299 + rgba[i + 1]! * 587 + rgba[i + 2]! * 114) / 1000;
    out[o++] = a === 255 ? y : Math.round((y * a + 255 * (255 - a)) / 255);
  }
  return out;
}

/** Render page `pageNo` (1-based) of a PDF to a grayscale image for OCR. */
export async function renderPageForOcr(bytes: Uint8Array, pageNo: number, opts: RenderOptions = {}): Promise<RenderedPage> {
  for await (const page of renderPagesForOcr(bytes, [pageNo], opts)) return page;
  throw new PipelineError('NotFound', `Page ${pageNo} was not rendered.`);
}

/**
 * Render several pages, opening the document once (cheaper than `renderPageForOcr` per page for big
 * files). Yields in the order given; stop early by breaking out of the loop (the document is
 * released either way).
 */
export async function* renderPagesForOcr(bytes: Uint8Array, pageNos: readonly number[], opts: RenderOptions = {}): AsyncGenerator<RenderedPage> {
  const doc = await openPdf(bytes, { password: opts.password, maxPages: Number.MAX_SAFE_INTEGER });
  try {
    const oversized = findOversizedImages(bytes);
    for (const pageNo of pageNos) {
      let rendered: RenderedPage;
      try {
        rendered = await renderOpenPage(doc, pageNo, oversized, opts);
      } catch (err) {
        throw toPipelineError(err, `Page ${pageNo} could not be rendered`);
      }
      yield rendered;
    }
  } finally {
    await closePdf(doc);
  }
}

async function loadPage(doc: PDFDocumentProxy, pageNo: number): Promise<PDFPageProxy> {
  if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > doc.numPages) {
    throw new PipelineError('NotFound', `Page ${pageNo} does not exist: the PDF has ${doc.numPages} pages.`);
  }
  return getPageChecked(doc, pageNo);
}

async function renderOpenPage(doc: PDFDocumentProxy, pageNo: number, oversized: ImageSize[], opts: RenderOptions): Promise<RenderedPage> {
  const page = await loadPage(doc, pageNo);
  try {
    return await renderLoadedPage(doc, page, oversized, opts);
  } finally {
    page.cleanup();
  }
}

/** The page's drawing with every annotation (what the render draws); null when it cannot be analysed. */
async function analyseForRender(page: PDFPageProxy): Promise<PageContent | null> {
  try {
    return await analysePageContent(page, { annotations: 'all' });
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    return null;
  }
}

/**
 * Render a loaded page (the caller cleans it up). `analysed` is the page's content if the caller has
 * analysed it already (with `annotations: 'all'`); otherwise it is analysed here when needed.
 */
async function renderLoadedPage(
  doc: PDFDocumentProxy,
  page: PDFPageProxy,
  oversized: ImageSize[],
  opts: RenderOptions,
  analysed?: PageContent | null,
): Promise<RenderedPage> {
  const pageNo = page.pageNumber;
  const requestedDpi = opts.dpi ?? 300;
  const maxDpi = Math.max(opts.maxDpi ?? 600, requestedDpi);
  {
    const base = page.getViewport({ scale: 1 });
    let content: PageContent | null = analysed ?? null;
    let dpi = requestedDpi;
    const smallPage = (base.width / 72) * requestedDpi * (base.height / 72) * requestedDpi < SMALL_PAGE_PIXELS;
    if (analysed === undefined && (oversized.length > 0 || (smallPage && maxDpi > requestedDpi))) {
      content = await analyseForRender(page);
    }
    if (drawsOversizedImage(content, oversized.length > 0)) {
      const big = oversized.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
      throw new PipelineError(
        'ImageTooLarge',
        `Page ${pageNo} holds a ${big.width} × ${big.height} pixel image (${Math.round((big.width * big.height) / 1e6)} megapixels); the limit is ${MAX_IMAGE_PIXELS / 1e6} megapixels.`,
      );
    }
    if (content && smallPage) {
      // Native resolution of the largest image covering most of the page.
      const pageArea = Math.max(base.width * base.height, 1);
      const scan = content.images
        .filter((im) => ((im.x1 - im.x0) * (im.y1 - im.y0)) / pageArea > 0.5)
        .sort((a, b) => b.pixelWidth * b.pixelHeight - a.pixelWidth * a.pixelHeight)[0];
      if (scan) dpi = Math.min(maxDpi, Math.max(requestedDpi, Math.min(scan.dpiX, scan.dpiY)));
    }
    const plan = planRender(base.width, base.height, dpi);
    if (plan === null) {
      throw new PipelineError('ImageTooLarge', `Page ${pageNo} is too large to render (${Math.round(base.width)} × ${Math.round(base.height)} points).`);
    }
    const viewport = page.getViewport({ scale: plan.dpi / 72 });
    const { width, height } = plan; // = viewport size rounded up, within the pixel budget
    // pdfjs's own canvas factory (backed by the @napi-rs/canvas it loaded).
    const factory = doc.canvasFactory as { create(w: number, h: number): { canvas: NodeCanvas; context: NodeContext } };
    const { canvas, context } = factory.create(width, height);
    try {
      type RenderParams = Parameters<typeof page.render>[0];
      const task = page.render({
        canvas: canvas as unknown as RenderParams['canvas'],
        canvasContext: context as unknown as RenderParams['canvasContext'],
        viewport,
        background: 'white',
        // Draw annotation appearances too: filled-in form values, typed text, stamps, ink.
        annotationMode: pdfjs.AnnotationMode.ENABLE,
      });
      try {
        await withTimeout(task.promise, TIMEOUTS.renderMs, `rendering page ${pageNo}`);
      } catch (err) {
        task.cancel();
        throw err;
      }
      const pixels = context.getImageData(0, 0, width, height).data;
      return {
        pageNo,
        image: rgbaToPgm(pixels, width, height),
        format: 'pgm',
        width,
        height,
        dpi: plan.dpi,
        widthPt: base.width,
        heightPt: base.height,
        origin: 'render',
      };
    } finally {
      // Release the pixel buffer now rather than at the next GC.
      canvas.width = 0;
      canvas.height = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The OCR step's input: the scan image as stored when a page is nothing but one, else a render.
// ---------------------------------------------------------------------------------------------------

/** What the OCR step gets for one page. */
export type OcrPageInput =
  | ({ kind: 'image' } & RenderedPage)
  /** The page draws nothing to read (blank, or a few characters of text and no images or drawings): no OCR. */
  | { kind: 'no-ocr'; pageNo: number; text: string; reason: OcrReason; widthPt: number; heightPt: number };

/** Resolutions at which a stored scan is recognised as it is: OCR reads these as well as a 300-dpi render. */
export const EMBEDDED_DPI_RANGE = { min: 250, max: 400 } as const;

/**
 * The page's scan image, if the page is exactly one upright image covering the page at a resolution
 * OCR reads well (EMBEDDED_DPI_RANGE, square pixels) and draws nothing else visible (text, paths,
 * shadings, other images): then that image, decoded once, is exactly what a render would show, and
 * recognising it directly saves the render's CPU time. Pure (exported for tests).
 */
export function embeddedScanImage(content: PageContent, view: readonly number[], rotation: number): PlacedImage | null {
  if (rotation % 360 !== 0 || content.images.length !== 1) return null;
  if (content.visibleGlyphs > 0 || content.pathOps > 0 || content.otherDrawOps > 0 || content.emptyPlacements > 0) return null;
  const im = content.images[0]!;
  if (im.objId === undefined) return null;
  const [a, b, c, d, e, f] = im.matrix;
  // Upright and not mirrored: image rows run top to bottom, columns left to right.
  if (!(a > 0 && d > 0) || Math.abs(b) > a * 1e-3 || Math.abs(c) > d * 1e-3) return null;
  const [vx0 = 0, vy0 = 0, vx1 = 0, vy1 = 0] = view;
  const tolX = (vx1 - vx0) * 0.01;
  const tolY = (vy1 - vy0) * 0.01;
  // Covers the page (within 1 %), not only after clipping: OCR boxes map onto the page as fractions.
  if (Math.abs(e - vx0) > tolX || Math.abs(e + a - vx1) > tolX || Math.abs(f - vy0) > tolY || Math.abs(f + d - vy1) > tolY) return null;
  const { min, max } = EMBEDDED_DPI_RANGE;
  if (im.dpiX < min || im.dpiX > max || Math.abs(im.dpiX - im.dpiY) > im.dpiX * 0.02) return null;
  return im;
}

interface DecodedImage {
  width: number;
  height: number;
  kind: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** The decoded pixels pdfjs keeps for an image object of a page whose operator list was built. */
async function decodedImage(page: PDFPageProxy, objId: string): Promise<DecodedImage | null> {
  // pdfjs's own rule: images shared by several pages live in the document-wide store.
  const store = objId.startsWith('g_') ? page.commonObjs : page.objs;
  const img = (await withTimeout(
    new Promise<unknown>((resolve) => store.get(objId, resolve)),
    TIMEOUTS.renderMs,
    `decoding the image of page ${page.pageNumber}`,
  )) as Partial<DecodedImage> | null;
  if (!img || !(img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray)) return null;
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || typeof img.kind !== 'number') return null;
  return img as DecodedImage;
}

/**
 * Grayscale PGM from pdfjs's decoded image data (ImageKind: 1 bit per pixel with rows padded to a
 * byte, set bits white; RGB; RGBA composited on white). Null for a layout it does not know.
 */
export function decodedImageToPgm(img: DecodedImage): Uint8Array | null {
  const { width, height, data } = img;
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const out = new Uint8Array(header.length + width * height);
  out.set(header, 0);
  let o = header.length;
  if (img.kind === pdfjs.ImageKind.GRAYSCALE_1BPP) {
    const rowBytes = (width + 7) >> 3;
    if (data.length < rowBytes * height) return null;
    for (let y = 0; y < height; y++) {
      const row = y * rowBytes;
      for (let x = 0; x < width; x++) out[o++] = data[row + (x >> 3)]! & (128 >> (x & 7)) ? 255 : 0;
    }
    return out;
  }
  if (img.kind === pdfjs.ImageKind.RGB_24BPP) {
    if (data.length < width * height * 3) return null;
    // BT.601 luma in fixed point (weights sum to 256), as rgbaToPgm but without the division.
    for (let i = 0, end = width * height * 3; i < end; i += 3) out[o++] = (data[i]! * 77 + data[i + 1]! * 150 + data[i + 2]! * 29) >> 8;
    return out;
  }
  if (img.kind === pdfjs.ImageKind.RGBA_32BPP) {
    if (data.length < width * height * 4) return null;
    return rgbaToPgm(data.subarray(0, width * height * 4), width, height);
  }
  return null;
}

/**
 * The OCR step's input for each page, opening the document once. Per page: the drawing is analysed
 * (decoding its images, which a render then reuses); a page that draws nothing to read comes back as
 * `no-ocr` with its text layer (what inspectPdf would have decided, see `textlessPages: 'defer'`); a
 * page that is one stored scan (embeddedScanImage) comes back as that image, at its own resolution;
 * anything else is rendered as renderPagesForOcr does.
 */
export async function* pageImagesForOcr(bytes: Uint8Array, pageNos: readonly number[], opts: RenderOptions = {}): AsyncGenerator<OcrPageInput> {
  const doc = await openPdf(bytes, { password: opts.password, maxPages: Number.MAX_SAFE_INTEGER });
  try {
    const oversized = findOversizedImages(bytes);
    for (const pageNo of pageNos) {
      let input: OcrPageInput;
      try {
        const page = await loadPage(doc, pageNo);
        try {
          input = await ocrInputOfPage(doc, page, oversized, opts);
        } finally {
          page.cleanup();
        }
      } catch (err) {
        throw toPipelineError(err, `Page ${pageNo} could not be rendered`);
      }
      yield input;
    }
  } finally {
    await closePdf(doc);
  }
}

async function ocrInputOfPage(doc: PDFDocumentProxy, page: PDFPageProxy, oversized: ImageSize[], opts: RenderOptions): Promise<OcrPageInput> {
  const pageNo = page.pageNumber;
  const base = page.getViewport({ scale: 1 });
  const content = await analyseForRender(page);
  if (content && content.imageCoverage < 0.05 && content.pathOps < 100) {
    // Possibly nothing to read: the same decision inspectPdf makes, now that the drawing is known.
    const text = await readPageText(page);
    const decision = decideOcr({ text, content, docHasOversizedImage: oversized.length > 0, pageTooLarge: false });
    if (!decision.needsOcr) return { kind: 'no-ocr', pageNo, text, reason: decision.reason, widthPt: base.width, heightPt: base.height };
  }
  const scan = content && oversized.length === 0 ? embeddedScanImage(content, page.view, page.rotate) : null;
  if (scan?.objId !== undefined) {
    const img = await decodedImage(page, scan.objId);
    const pgm = img ? decodedImageToPgm(img) : null;
    if (img && pgm) {
      return {
        kind: 'image',
        pageNo,
        image: pgm,
        format: 'pgm',
        width: img.width,
        height: img.height,
        dpi: Math.round(scan.dpiX),
        widthPt: base.width,
        heightPt: base.height,
        origin: 'embedded-image',
      };
    }
  }
  return { kind: 'image', ...(await renderLoadedPage(doc, page, oversized, opts, content)) };
}

/** PNG of a rendered page (for debugging / previews; not needed for OCR). */
export async function encodePng(page: RenderedPage): Promise<Buffer> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const canvas = createCanvas(page.width, page.height);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(page.width, page.height);
  const offset = page.image.length - page.width * page.height;
  for (let i = 0, o = offset; o < page.image.length; i += 4, o++) {
    const v = page.image[o]!;
    img.data[i] = v;
    img.data[i + 1] = v;
    img.data[i + 2] = v;
    img.data[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas.encode('png');
}
