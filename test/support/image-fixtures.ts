/**
 * Image files with known text, made at test time: pages of the synthetic lab report
 * (test/fixtures/generate.ts) rendered to pixels by the PDF renderer, then encoded by sharp the way
 * fax machines, scanners and phones store them. Plus broken and refused files built by hand.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';
import { digitalReportPdf, syntheticReport, type SyntheticReport } from '../fixtures/generate.js';
import { renderPagesForOcr } from '../../library/pdf/render.js';
import { parsePgm, rotateGray, type Gray } from '../../library/ocr/gray-image.js';

export interface ReportPages {
  report: SyntheticReport;
  /** Upright page images (US Letter) at `dpi`. */
  pages: Gray[];
  dpi: number;
}

/** The report's pages rendered to grayscale at `dpi`. */
export async function reportPages(opts: { pages: number; seed?: number; rowsPerPage?: number; dpi: number }): Promise<ReportPages> {
  const report = syntheticReport({ pages: opts.pages, seed: opts.seed, rowsPerPage: opts.rowsPerPage ?? 6 });
  const pdf = digitalReportPdf(report);
  const pages: Gray[] = [];
  const pageNos = report.pages.map((_, i) => i + 1);
  for await (const page of renderPagesForOcr(pdf, pageNos, { dpi: opts.dpi, maxDpi: opts.dpi })) {
    const gray = parsePgm(page.image);
    if (!gray) throw new Error('the renderer did not produce a PGM');
    pages.push({ width: gray.width, height: gray.height, data: new Uint8Array(gray.data) });
  }
  return { report, pages, dpi: opts.dpi };
}

const raw = (g: Gray) => sharp(Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength), { raw: { width: g.width, height: g.height, channels: 1 } });

/** Pages of equal size stacked into one multi-page sharp image. */
function stacked(pages: Gray[]) {
  const { width, height } = pages[0]!;
  const all = Buffer.concat(pages.map((p) => Buffer.from(p.data)));
  return sharp(all, { raw: { width, height: height * pages.length, channels: 1, pageHeight: height } });
}

/**
 * A fax: each page rendered at `xDpi`, squashed vertically to `yDpi` (fax lines are coarser than
 * dots), thresholded to 1 bit and stored CCITT Group 4 with both resolutions in the file.
 */
export async function faxTiff(opts: { pages: number; seed?: number; xDpi?: number; yDpi?: number; compression?: 'ccittfax4' | 'lzw' | 'jpeg' }) {
  const xDpi = opts.xDpi ?? 204;
  const yDpi = opts.yDpi ?? 196;
  const compression = opts.compression ?? 'ccittfax4';
  const rendered = await reportPages({ pages: opts.pages, seed: opts.seed, dpi: xDpi });
  const squashed: Gray[] = [];
  for (const p of rendered.pages) {
    const height = Math.round((p.height * yDpi) / xDpi);
    const { data, info } = await raw(p).resize(p.width, height, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected one channel, got ${info.channels}`);
    squashed.push({ width: info.width, height: info.height, data: new Uint8Array(data) });
  }
  let img = stacked(squashed);
  if (compression === 'ccittfax4') img = img.threshold(160).toColourspace('b-w');
  const tiff = await img
    .tiff({
      compression,
      ...(compression === 'ccittfax4' ? { bitdepth: 1 as const } : {}),
      xres: xDpi / 25.4,
      yres: yDpi / 25.4,
      resolutionUnit: 'inch',
    })
    .toBuffer();
  return { bytes: tiff, report: rendered.report, pageWidth: squashed[0]!.width, storedHeight: squashed[0]!.height, uprightHeight: rendered.pages[0]!.height };
}

/** A phone-style JPEG stored sideways (rotated 90° counter-clockwise) with EXIF orientation 6 ("rotate 90° clockwise to view"). */
export async function exifRotatedJpeg(opts: { seed?: number; dpi?: number } = {}) {
  const r = await reportPages({ pages: 1, seed: opts.seed, dpi: opts.dpi ?? 200 });
  const page = r.pages[0]!;
  const sideways = rotateGray(page, 270);
  const bytes = await raw(sideways).jpeg({ quality: 88 }).withMetadata({ orientation: 6, density: r.dpi }).toBuffer();
  return { bytes, report: r.report, upright: { width: page.width, height: page.height } };
}

/** The page rotated 90° clockwise in its pixels, with no orientation tag (a scan fed sideways). */
export async function sidewaysPng(opts: { seed?: number; dpi?: number } = {}) {
  const r = await reportPages({ pages: 1, seed: opts.seed, dpi: opts.dpi ?? 200 });
  const bytes = await raw(rotateGray(r.pages[0]!, 90)).png().withMetadata({ density: r.dpi }).toBuffer();
  return { bytes, report: r.report };
}

/** One page in each remaining accepted encoding. */
export async function pageAs(format: 'png' | 'webp' | 'lzw-tiff' | 'jpeg-tiff', opts: { seed?: number; dpi?: number } = {}) {
  const r = await reportPages({ pages: 1, seed: opts.seed, dpi: opts.dpi ?? 200 });
  const img = raw(r.pages[0]!);
  const bytes =
    format === 'png'
      ? await img.png().withMetadata({ density: r.dpi }).toBuffer()
      : format === 'webp'
        ? await img.webp({ quality: 90 }).toBuffer()
        : await img.tiff({ compression: format === 'lzw-tiff' ? 'lzw' : 'jpeg', xres: r.dpi / 25.4, yres: r.dpi / 25.4, resolutionUnit: 'inch' }).toBuffer();
  return { bytes, report: r.report };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A decompression bomb: a valid PNG (correct CRCs) whose header declares `side` × `side` 8-bit gray
 * pixels, with a tiny compressed stream (the first rows of zeros); a few hundred bytes in all.
 */
export function bombPng(side = 60_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const idat = zlib.deflateSync(Buffer.alloc(side + 1), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real page PNG cut off at `fraction` of its length (an interrupted transfer). */
export async function truncatedPng(fraction = 0.6): Promise<Buffer> {
  const { bytes } = await pageAs('png', { dpi: 100 });
  return bytes.subarray(0, Math.floor(bytes.length * fraction));
}

/** A small GIF (a format people send that is not read). */
export async function gifImage(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } })
    .gif()
    .toBuffer();
}
