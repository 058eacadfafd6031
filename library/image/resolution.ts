/**
 * The resolution an image frame is read at, and the square-pixel size it is recognised at. Pure.
 *
 * A file's declared resolution is used when it is believable. Many tools write 72 or 96 dpi (a screen's)
 * when they know nothing, and some write nonsense (a 2668-pixel card at 3810 dpi would be 0.7 inches
 * wide); such a frame, or one that declares nothing, is assumed to be a document page whose shorter
 * side is a letter/A4 width (8.5 inches): a 1700 × 2200 fax comes out at 200 dpi, a 2550 × 3300 scan
 * at 300 dpi.
 */
import { MAX_RENDER_PIXELS, MAX_RENDER_SIDE } from '../pdf/limits.js';

/** A square declared resolution below this is a screen default or unknown, not a scanner's. */
export const MIN_TRUSTED_DPI = 100;
/** Declared resolutions above this are not what document scanners and fax machines write. */
export const MAX_TRUSTED_DPI = 1200;
/** Fax "normal" mode is 204 × 98 dpi: an axis of a non-square declaration may go this low. */
export const MIN_TRUSTED_AXIS_DPI = 50;
/** The shorter side of a page of unknown resolution is assumed to be this many inches. */
export const ASSUMED_SHORT_SIDE_INCHES = 8.5;
/** The assumed resolution stays within these bounds (tiny images are not pages at 20 dpi). */
export const ASSUMED_DPI_RANGE = { min: 100, max: 600 } as const;
/** Frames finer than this are recognised scaled down to it (OCR gains nothing above, and pays per pixel). */
export const MAX_OCR_DPI = 600;
/** Lowest resolution the OCR engine accepts. */
export const MIN_OCR_DPI = 50;

export interface DeclaredResolution {
  xDpi?: number;
  yDpi?: number;
  /** Only the ratio xDpi : yDpi is meaningful (TIFF ResolutionUnit "none", JFIF units 0). */
  aspectOnly?: boolean;
}

export interface FramePlan {
  /** Pixel size as stored, before orientation. */
  storedWidth: number;
  storedHeight: number;
  /** Upright, square-pixel size the frame is decoded to (its page image). */
  width: number;
  height: number;
  /** Resolution of the page image (square pixels). */
  dpi: number;
  /** Where `dpi` came from: the file, or the page-size assumption. */
  dpiFrom: 'file' | 'assumed';
  /** Page size as displayed, in points (what the page viewer scales). */
  widthPt: number;
  heightPt: number;
}

const near = (a: number, b: number) => Math.abs(a - b) <= Math.max(a, b) * 0.01;
const inRange = (v: number | undefined, min: number, max: number): v is number => v !== undefined && Number.isFinite(v) && v >= min && v <= max;

/**
 * The plan for one frame: its upright size (EXIF/TIFF orientations 5–8 swap the axes), stretched
 * along the coarser axis to square pixels, scaled down to MAX_OCR_DPI and the render pixel budget.
 */
export function planFrame(storedWidth: number, storedHeight: number, declared: DeclaredResolution, orientation = 1): FramePlan {
  const swap = orientation >= 5 && orientation <= 8;
  const w = swap ? storedHeight : storedWidth;
  const h = swap ? storedWidth : storedHeight;
  let xDpi = swap ? declared.yDpi : declared.xDpi;
  let yDpi = swap ? declared.xDpi : declared.yDpi;
  if (xDpi !== undefined && yDpi === undefined) yDpi = xDpi;
  if (yDpi !== undefined && xDpi === undefined) xDpi = yDpi;

  let sx = 1;
  let sy = 1;
  let dpi: number | undefined;
  if (xDpi !== undefined && yDpi !== undefined && xDpi > 0 && yDpi > 0) {
    const square = near(xDpi, yDpi);
    if (!square && (declared.aspectOnly || (inRange(xDpi, MIN_TRUSTED_AXIS_DPI, MAX_TRUSTED_DPI) && inRange(yDpi, MIN_TRUSTED_AXIS_DPI, MAX_TRUSTED_DPI)))) {
      // Stretch the coarser axis so that a pixel is as tall as it is wide.
      const fine = Math.max(xDpi, yDpi);
      sx = fine / xDpi;
      sy = fine / yDpi;
      if (!declared.aspectOnly) dpi = fine;
    } else if (square && !declared.aspectOnly && inRange(xDpi, MIN_TRUSTED_DPI, MAX_TRUSTED_DPI)) {
      dpi = xDpi;
    }
  }
  let width = Math.max(1, Math.round(w * sx));
  let height = Math.max(1, Math.round(h * sy));
  const dpiFrom: FramePlan['dpiFrom'] = dpi === undefined ? 'assumed' : 'file';
  if (dpi === undefined) {
    const guess = Math.min(width, height) / ASSUMED_SHORT_SIDE_INCHES;
    dpi = Math.round(Math.min(ASSUMED_DPI_RANGE.max, Math.max(ASSUMED_DPI_RANGE.min, guess)));
  }
  // Within the OCR render's budget (as a PDF page would be rendered), never upscaled.
  const scale = Math.min(1, MAX_OCR_DPI / dpi, Math.sqrt(MAX_RENDER_PIXELS / (width * height)), MAX_RENDER_SIDE / Math.max(width, height));
  if (scale < 1) {
    width = Math.max(1, Math.floor(width * scale));
    height = Math.max(1, Math.floor(height * scale));
    dpi *= scale;
  }
  return { storedWidth, storedHeight, width, height, dpi, dpiFrom, widthPt: (width / dpi) * 72, heightPt: (height / dpi) * 72 };
}
