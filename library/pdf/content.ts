/**
 * What a page draws, from its pdfjs operator list: the images (where, how large, at what resolution),
 * how much of the page they cover, visible and invisible text, vector drawing.
 */
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import { TIMEOUTS } from './open.js';
import { withTimeout } from '../../core/with-timeout.js';

export interface PlacedImage {
  /** Pixel size of the image as stored. */
  pixelWidth: number;
  pixelHeight: number;
  /** Axis-aligned bounds on the page in PDF user space (points), clipped to the page. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Native resolution of the image as placed (pixels per inch along its own axes). */
  dpiX: number;
  dpiY: number;
  /** Transformation (user space) the image was drawn with: the unit square onto the page. */
  matrix: readonly [number, number, number, number, number, number];
  /** pdfjs object id of a `paintImageXObject` image (its decoded pixels are in `page.objs`). */
  objId?: string;
}

export interface PageContent {
  images: PlacedImage[];
  /** Fraction (0–1) of the page area covered by images (union, on a coarse grid). */
  imageCoverage: number;
  /** Glyphs drawn visibly / invisibly (render mode 3 or 7, or fill alpha 0). */
  visibleGlyphs: number;
  invisibleGlyphs: number;
  /** Number of path-painting operations (vector drawing; outlined text shows up here). */
  pathOps: number;
  /** Other painting: shadings, image-mask groups, solid-colour masks (anything not counted above). */
  otherDrawOps: number;
  /**
   * `q … cm … Q` blocks that end up drawing nothing: what pdfjs leaves behind when it drops an image
   * over `maxImageSize` (it removes the `Do` silently). Used to attribute an oversized image to a page.
   */
  emptyPlacements: number;
}

type M6 = [number, number, number, number, number, number];
const IDENTITY: M6 = [1, 0, 0, 1, 0, 0];
function toM6(v: unknown): M6 | null {
  if (v === null || typeof v !== 'object') return null;
  const a = Array.from({ length: 6 }, (_, i) => Number((v as Record<number, unknown>)[i]));
  return a.every(Number.isFinite) ? (a as M6) : null;
}

const GRID = 64;

/**
 * Walk a pdfjs operator list and summarise what the page draws. Pure (exported for tests).
 * @param view the page's view box [x0, y0, x1, y1] in user space
 */
export function summariseOperatorList(fnArray: readonly number[], argsArray: readonly unknown[], view: readonly number[]): PageContent {
  const OPS = pdfjs.OPS;
  const [vx0 = 0, vy0 = 0, vx1 = 0, vy1 = 0] = view;
  const vw = Math.max(vx1 - vx0, 1e-6);
  const vh = Math.max(vy1 - vy0, 1e-6);
  const grid = new Uint8Array(GRID * GRID);
  const images: PlacedImage[] = [];
  let ctm: M6 = IDENTITY;
  let renderMode = 0;
  let fillAlpha = 1;
  const stack: Array<{ ctm: M6; renderMode: number; fillAlpha: number }> = [];
  // Per open save/restore block: [placed (a transform happened), drew (anything painted)].
  const blocks: Array<{ placed: boolean; drew: boolean }> = [];
  const markDrawn = (): void => {
    for (const b of blocks) b.drew = true;
  };
  let emptyPlacements = 0;
  let visibleGlyphs = 0;
  let invisibleGlyphs = 0;
  let pathOps = 0;
  let otherDrawOps = 0;
  const addImage = (pw: number, ph: number, objId?: string): void => {
    if (!(pw > 0 && ph > 0)) return;
    const corners = [
      [ctm[4], ctm[5]],
      [ctm[0] + ctm[4], ctm[1] + ctm[5]],
      [ctm[2] + ctm[4], ctm[3] + ctm[5]],
      [ctm[0] + ctm[2] + ctm[4], ctm[1] + ctm[3] + ctm[5]],
    ] as const;
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const x0 = Math.max(Math.min(...xs), vx0);
    const x1 = Math.min(Math.max(...xs), vx1);
    const y0 = Math.max(Math.min(...ys), vy0);
    const y1 = Math.min(Math.max(...ys), vy1);
    const sideX = Math.hypot(ctm[0], ctm[1]) / 72; // inches along the image's x axis
    const sideY = Math.hypot(ctm[2], ctm[3]) / 72;
    images.push({
      pixelWidth: pw,
      pixelHeight: ph,
      x0,
      y0,
      x1,
      y1,
      dpiX: sideX > 0 ? pw / sideX : 0,
      dpiY: sideY > 0 ? ph / sideY : 0,
      matrix: [...ctm],
      ...(objId === undefined ? {} : { objId }),
    });
    if (x1 <= x0 || y1 <= y0) return;
    const gx0 = Math.floor(((x0 - vx0) / vw) * GRID);
    const gx1 = Math.ceil(((x1 - vx0) / vw) * GRID);
    const gy0 = Math.floor(((y0 - vy0) / vh) * GRID);
    const gy1 = Math.ceil(((y1 - vy0) / vh) * GRID);
    for (let gy = Math.max(gy0, 0); gy < Math.min(gy1, GRID); gy++) for (let gx = Math.max(gx0, 0); gx < Math.min(gx1, GRID); gx++) grid[gy * GRID + gx] = 1;
  };
  const countGlyphs = (glyphs: unknown): number => {
    if (!Array.isArray(glyphs)) return 0;
    let n = 0;
    for (const g of glyphs) {
      if (
        g &&
        typeof g === 'object' &&
        !(g as { isSpace?: boolean }).isSpace &&
        typeof (g as { unicode?: unknown }).unicode === 'string' &&
        (g as { unicode: string }).unicode.trim() !== ''
      )
        n++;
    }
    return n;
  };

  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i];
    const args = argsArray[i] as unknown[] | null | undefined;
    switch (fn) {
      case OPS.save:
        stack.push({ ctm, renderMode, fillAlpha });
        blocks.push({ placed: false, drew: false });
        break;
      case OPS.restore: {
        const s = stack.pop();
        if (s) ({ ctm, renderMode, fillAlpha } = s);
        const b = blocks.pop();
        if (b && b.placed && !b.drew) emptyPlacements++;
        break;
      }
      case OPS.transform: {
        const m = toM6(args);
        if (m) ctm = pdfjs.Util.transform(ctm, m) as M6;
        const top = blocks[blocks.length - 1];
        if (top) top.placed = true;
        break;
      }
      case OPS.paintFormXObjectBegin: {
        markDrawn();
        stack.push({ ctm, renderMode, fillAlpha });
        const m = toM6(args?.[0]);
        if (m) ctm = pdfjs.Util.transform(ctm, m) as M6;
        break;
      }
      case OPS.paintFormXObjectEnd: {
        const s = stack.pop();
        if (s) ({ ctm, renderMode, fillAlpha } = s);
        break;
      }
      case OPS.setTextRenderingMode:
        renderMode = Number(args?.[0]) || 0;
        break;
      case OPS.setGState: {
        const entries = args?.[0];
        if (Array.isArray(entries)) {
          for (const e of entries) if (Array.isArray(e) && e[0] === 'ca' && typeof e[1] === 'number') fillAlpha = e[1];
        }
        break;
      }
      case OPS.showText:
      case OPS.showSpacedText: {
        const n = countGlyphs(args?.[0]);
        markDrawn();
        if (renderMode === 3 || renderMode === 7 || fillAlpha === 0) invisibleGlyphs += n;
        else visibleGlyphs += n;
        break;
      }
      case OPS.paintImageXObject:
      case OPS.paintImageXObjectRepeat:
        markDrawn();
        addImage(Number(args?.[1]), Number(args?.[2]), fn === OPS.paintImageXObject && typeof args?.[0] === 'string' ? args[0] : undefined);
        break;
      case OPS.paintInlineImageXObject:
      case OPS.paintImageMaskXObject: {
        markDrawn();
        const img = args?.[0] as { width?: number; height?: number } | undefined;
        addImage(Number(img?.width), Number(img?.height));
        break;
      }
      case OPS.paintInlineImageXObjectGroup:
      case OPS.paintImageMaskXObjectGroup:
      case OPS.paintImageMaskXObjectRepeat:
      case OPS.paintSolidColorImageMask:
      case OPS.shadingFill:
        markDrawn();
        otherDrawOps++;
        break;
      case OPS.constructPath:
      case OPS.fill:
      case OPS.eoFill:
      case OPS.stroke:
      case OPS.fillStroke:
      case OPS.eoFillStroke:
        markDrawn();
        pathOps++;
        break;
      default:
        break;
    }
  }
  let covered = 0;
  for (const c of grid) covered += c;
  return { images, imageCoverage: covered / grid.length, visibleGlyphs, invisibleGlyphs, pathOps, otherDrawOps, emptyPlacements };
}

/**
 * Analyse what a page draws. Decodes the page's images (pdfjs has no way to list them otherwise),
 * except those over MAX_IMAGE_PIXELS, which pdfjs drops unseen (see `emptyPlacements`).
 * `annotations: 'all'` includes every annotation's appearance, as `render` with
 * `AnnotationMode.ENABLE` draws them; pdfjs then keeps the operator list and the decoded images for
 * a render of the same page (nothing is decoded twice).
 */
export async function analysePageContent(page: PDFPageProxy, opts: { annotations?: 'forms-excluded' | 'all' } = {}): Promise<PageContent> {
  const annotationMode = opts.annotations === 'all' ? pdfjs.AnnotationMode.ENABLE : pdfjs.AnnotationMode.ENABLE_FORMS;
  const ol = await withTimeout(page.getOperatorList({ annotationMode }), TIMEOUTS.operatorListMs, `analysing page ${page.pageNumber}`);
  return summariseOperatorList(ol.fnArray, ol.argsArray, page.view);
}

/** Does this page (probably) draw one of the document's oversized images? */
export function drawsOversizedImage(content: PageContent | null, docHasOversizedImage: boolean): boolean {
  if (!docHasOversizedImage || content === null) return false;
  const drawsNothing = content.images.length === 0 && content.visibleGlyphs + content.invisibleGlyphs === 0 && content.pathOps === 0;
  return content.emptyPlacements > 0 || drawsNothing;
}
