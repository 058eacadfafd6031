/**
 * Image files (TIFF, PNG, JPEG, WebP) as pages, decoded with sharp (libvips): each frame of the file is
 * a page. The header is read first (libvips reads no pixel data for it, and TIFF directories are
 * walked by tiff-header.ts): frame count, pixel sizes, resolution and orientation, so a decompression
 * bomb or an over-long file is refused before anything is decoded. Frames are then decoded one at a
 * time, upright (EXIF/TIFF orientation), with square pixels, as 8-bit grayscale.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { PipelineError } from '../../core/errors.js';
import type { Gray } from '../ocr/gray-image.js';
import { MAX_IMAGE_PIXELS } from '../pdf/limits.js';
import type { ImageKind } from '../document/kind.js';
import { planFrame, type FramePlan } from './resolution.js';
import { readTiffFrames } from './tiff-header.js';

// A worker decodes one frame at a time and keeps no decoded images around: libvips' operation cache
// would hold whole frames, and its own thread pool would compete with the OCR threads for the cores.
sharp.cache(false);
sharp.concurrency(1);

/** Longest a single frame may take to decode (a stuck decode ends the page, not the worker). */
export const DECODE_TIMEOUT_SECONDS = 120;

const FORMAT_NAME: Record<ImageKind, string> = { tiff: 'TIFF', png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };

export interface ImageFrame extends FramePlan {
  /** 1-based page number. */
  pageNo: number;
  /** Index of the frame for libvips (a TIFF directory, an animation frame). */
  page: number;
  orientation: number;
}

export interface ImageInfo {
  kind: ImageKind;
  frames: ImageFrame[];
}

export interface ImageLimits {
  maxPages: number;
  /** Largest frame, in stored pixels (default MAX_IMAGE_PIXELS). */
  maxPixels?: number;
}

/** sharp options every read uses: refuse damaged input and anything over the pixel limit (second guard). */
function input(bytes: Uint8Array, page: number, maxPixels: number): Sharp {
  return sharp(bytes, { page, pages: 1, failOn: 'error', limitInputPixels: maxPixels, autoOrient: false }).timeout({ seconds: DECODE_TIMEOUT_SECONDS });
}

/** A libvips failure in plain words, typed. */
function decodeError(err: unknown, kind: ImageKind, pageNo?: number): PipelineError {
  if (err instanceof PipelineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const where = pageNo === undefined ? '' : ` (page ${pageNo})`;
  if (/pixel limit/i.test(message)) {
    return new PipelineError(
      'ImageTooLarge',
      `This ${FORMAT_NAME[kind]} image${where} has more pixels than the limit of ${MAX_IMAGE_PIXELS / 1e6} megapixels.`,
      {
        cause: err,
      },
    );
  }
  if (/timeout/i.test(message)) {
    return new PipelineError('Timeout', `Decoding this ${FORMAT_NAME[kind]} image${where} took longer than ${DECODE_TIMEOUT_SECONDS} s.`, { cause: err });
  }
  return new PipelineError('InvalidImage', `This ${FORMAT_NAME[kind]} image${where} is damaged or incomplete and cannot be read.`, { cause: err });
}

function refuseOversized(kind: ImageKind, pageNo: number, width: number, height: number, maxPixels: number, frames: number): void {
  if (width * height <= maxPixels) return;
  const page = frames > 1 ? `Page ${pageNo} of this ${FORMAT_NAME[kind]} image` : `This ${FORMAT_NAME[kind]} image`;
  throw new PipelineError(
    'ImageTooLarge',
    `${page} is ${width} × ${height} pixels (${Math.round((width * height) / 1e6)} megapixels); the limit is ${maxPixels / 1e6} megapixels.`,
  );
}

/**
 * The frames of an image file, from its header alone. Throws `TooManyPages` (more frames than
 * `maxPages`), `ImageTooLarge` (a frame over the pixel limit) or `InvalidImage` (no readable header).
 */
export async function readImageInfo(bytes: Uint8Array, kind: ImageKind, limits: ImageLimits): Promise<ImageInfo> {
  const maxPixels = limits.maxPixels ?? MAX_IMAGE_PIXELS;
  if (kind === 'tiff') {
    const headers = readTiffFrames(bytes, limits.maxPages);
    const frames = headers.map((h, i): ImageFrame => {
      refuseOversized(kind, i + 1, h.width, h.height, maxPixels, headers.length);
      const plan = planFrame(h.width, h.height, { xDpi: h.xDpi, yDpi: h.yDpi, aspectOnly: h.aspectOnly }, h.orientation);
      return { ...plan, pageNo: i + 1, page: h.directory, orientation: h.orientation };
    });
    return { kind, frames };
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeError(err, kind);
  }
  const count = meta.pages ?? 1;
  if (count > limits.maxPages) {
    throw new PipelineError('TooManyPages', `The ${FORMAT_NAME[kind]} image has ${count} frames; the limit is ${limits.maxPages} pages.`);
  }
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  if (!width || !height) throw new PipelineError('InvalidImage', `This ${FORMAT_NAME[kind]} image has no pixel size and cannot be read.`);
  const orientation = meta.orientation ?? 1;
  const frames: ImageFrame[] = [];
  for (let i = 0; i < count; i++) {
    refuseOversized(kind, i + 1, width, height, maxPixels, count);
    const plan = planFrame(width, height, { xDpi: meta.density, yDpi: meta.density }, orientation);
    frames.push({ ...plan, pageNo: i + 1, page: i, orientation });
  }
  return { kind, frames };
}

/** The frame's pipeline: upright, on white, at `width` × `height`, in grayscale. */
function framePipeline(bytes: Uint8Array, frame: ImageFrame, width: number, height: number): Sharp {
  let img = input(bytes, frame.page, MAX_IMAGE_PIXELS).autoOrient().flatten({ background: '#ffffff' });
  const uprightW = frame.orientation >= 5 && frame.orientation <= 8 ? frame.storedHeight : frame.storedWidth;
  const uprightH = frame.orientation >= 5 && frame.orientation <= 8 ? frame.storedWidth : frame.storedHeight;
  if (width !== uprightW || height !== uprightH) img = img.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  return img.toColourspace('b-w');
}

/** The frame as 8-bit grayscale pixels (its page image: upright, square pixels, at `frame.dpi`). */
export async function decodeFrame(bytes: Uint8Array, kind: ImageKind, frame: ImageFrame): Promise<Gray> {
  try {
    const { data, info } = await framePipeline(bytes, frame, frame.width, frame.height).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || data.length !== info.width * info.height) {
      throw new PipelineError('InvalidImage', `Page ${frame.pageNo} of this ${FORMAT_NAME[kind]} image decoded to an unexpected pixel layout.`);
    }
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    throw decodeError(err, kind, frame.pageNo);
  }
}

/** Largest preview, in pixels (a letter page at 200 dpi is 3.7 MP). */
export const MAX_PREVIEW_PIXELS = 8_000_000;

/** The frame as a grayscale PNG at `dpi` (never larger than the frame itself, nor than MAX_PREVIEW_PIXELS). */
export async function previewFrame(
  bytes: Uint8Array,
  kind: ImageKind,
  frame: ImageFrame,
  dpi: number,
): Promise<{ png: Buffer; width: number; height: number }> {
  const scale = Math.min(1, dpi / frame.dpi, Math.sqrt(MAX_PREVIEW_PIXELS / (frame.width * frame.height)));
  const width = Math.max(1, Math.round(frame.width * scale));
  const height = Math.max(1, Math.round(frame.height * scale));
  try {
    const png = await framePipeline(bytes, frame, width, height).png({ compressionLevel: 6 }).toBuffer();
    return { png, width, height };
  } catch (err) {
    throw decodeError(err, kind, frame.pageNo);
  }
}
