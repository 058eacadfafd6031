/**
 * Render one PDF page to an image for OCR (pdfjs-dist + its @napi-rs/canvas).
 *
 * Output format: a binary PGM (P5, 8-bit grayscale). Tesseract reads PNM through Leptonica, it needs
 * grayscale anyway, and building a PGM from the canvas pixels is a plain loop (~20 ms for a 300-dpi
 * letter page) where PNG encoding costs ~10× more and 4 channels. Use `encodePng` if you need a
 * viewable image.
 *
 * Resource limits, all checked BEFORE allocating:
 * - images over MAX_IMAGE_PIXELS are refused (`ImageTooLarge`): pdfjs itself refuses to decode them
 *   (`maxImageSize`); we find them by their declared size (see findOversizedImages);
 * - the render is capped at MAX_RENDER_PIXELS (big pages are rendered at a lower dpi) and
 *   MAX_RENDER_SIDE; pages that would need less than MIN_RENDER_DPI to fit are refused.
 * Pages render upright: the viewport applies the page's /Rotate.
 */
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PipelineError } from '../../src/errors.js';
import {
  analysePageContent,
  closePdf,
  drawsOversizedImage,
  findOversizedImages,
  getPageChecked,
  MAX_IMAGE_PIXELS,
  openPdf,
  planRender,
  TIMEOUTS,
  toPipelineError,
  withTimeout,
  type ImageSize,
  type PageContent,
  type PDFDocumentProxy,
} from './document.js';

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

async function renderOpenPage(doc: PDFDocumentProxy, pageNo: number, oversized: ImageSize[], opts: RenderOptions): Promise<RenderedPage> {
  const requestedDpi = opts.dpi ?? 300;
  const maxDpi = Math.max(opts.maxDpi ?? 600, requestedDpi);
  if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > doc.numPages) {
    throw new PipelineError('NotFound', `Page ${pageNo} does not exist: the PDF has ${doc.numPages} pages.`);
  }
  const page = await getPageChecked(doc, pageNo);
  try {
    const base = page.getViewport({ scale: 1 });
    let content: PageContent | null = null;
    let dpi = requestedDpi;
    const smallPage = (base.width / 72) * requestedDpi * (base.height / 72) * requestedDpi < SMALL_PAGE_PIXELS;
    if (oversized.length > 0 || (smallPage && maxDpi > requestedDpi)) {
      try {
        content = await analysePageContent(page);
      } catch (err) {
        if (err instanceof PipelineError) throw err;
        content = null;
      }
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
      };
    } finally {
      // Release the pixel buffer now rather than at the next GC.
      canvas.width = 0;
      canvas.height = 0;
    }
  } finally {
    page.cleanup();
  }
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
