/**
 * The directory chain of a TIFF file, read from its bytes without decoding any pixels: per frame its
 * pixel size, its horizontal and vertical resolution (which differ in fax files: 204 × 196 or
 * 204 × 98 dpi) and its orientation. libvips reports one resolution per image and stops counting pages
 * silently at a broken directory link; this walk sees both. Pure.
 */
import { PipelineError } from '../../core/errors.js';

export interface TiffFrameHeader {
  /** Index of the directory in the file (what libvips calls the page). */
  directory: number;
  width: number;
  height: number;
  /** Pixels per inch along x and y, when the file says (absent, or only an aspect ratio: undefined). */
  xDpi?: number;
  yDpi?: number;
  /** Only the ratio of the two resolutions is known (ResolutionUnit 1). */
  aspectOnly: boolean;
  /** TIFF/EXIF orientation 1–8 (1 when absent). */
  orientation: number;
}

const TAG = {
  newSubfileType: 254,
  width: 256,
  height: 257,
  orientation: 274,
  xResolution: 282,
  yResolution: 283,
  resolutionUnit: 296,
} as const;

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8, 17: 8, 18: 8 };

const damaged = (what: string) => new PipelineError('InvalidImage', `This TIFF image is damaged or incomplete: ${what}.`);

/**
 * Every full-resolution frame of a TIFF (reduced-resolution thumbnails are skipped). Refuses a file
 * with more than `maxFrames` frames (`TooManyPages`) as soon as it sees one more, and a broken chain
 * (`InvalidImage`).
 */
export function readTiffFrames(bytes: Uint8Array, maxFrames: number): TiffFrameHeader[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw damaged('the file ends inside its header');
  const little = bytes[0] === 0x49;
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const u64 = (at: number) => {
    const hi = little ? u32(at + 4) : u32(at);
    const lo = little ? u32(at) : u32(at + 4);
    if (hi > 0x1fffff) throw damaged('a directory offset is out of range');
    return hi * 2 ** 32 + lo;
  };
  const big = u16(2) === 43;
  if (big && (bytes.length < 16 || u16(4) !== 8)) throw damaged('its BigTIFF header is malformed');
  const entrySize = big ? 20 : 12;
  const countSize = big ? 8 : 2;
  const offsetSize = big ? 8 : 4;
  const readOffset = (at: number) => (big ? u64(at) : u32(at));
  const inFile = (at: number, len: number) => at >= 0 && at + len <= bytes.length;

  const frames: TiffFrameHeader[] = [];
  const seen = new Set<number>();
  let ifd = readOffset(big ? 8 : 4);
  for (let directory = 0; ifd !== 0; directory++) {
    if (seen.has(ifd)) throw damaged('its page directories form a loop');
    seen.add(ifd);
    if (!inFile(ifd, countSize)) throw damaged(`page directory ${directory + 1} lies beyond the end of the file`);
    const count = big ? u64(ifd) : u16(ifd);
    const entries = ifd + countSize;
    if (!inFile(entries, count * entrySize + offsetSize)) throw damaged(`page directory ${directory + 1} is cut off`);

    const values = new Map<number, { type: number; n: number; at: number }>();
    for (let e = 0; e < count; e++) {
      const at = entries + e * entrySize;
      const tag = u16(at);
      const type = u16(at + 2);
      const n = big ? u64(at + 4) : u32(at + 4);
      const size = (TYPE_SIZE[type] ?? 1) * n;
      const valueAt = at + 4 + offsetSize;
      values.set(tag, { type, n, at: size <= offsetSize ? valueAt : readOffset(valueAt) });
    }
    const int = (tag: number): number | undefined => {
      const v = values.get(tag);
      if (!v || v.n < 1) return undefined;
      if (v.type === 3 && inFile(v.at, 2)) return u16(v.at);
      if (v.type === 4 && inFile(v.at, 4)) return u32(v.at);
      if (v.type === 16 && inFile(v.at, 8)) return u64(v.at);
      return undefined;
    };
    const rational = (tag: number): number | undefined => {
      const v = values.get(tag);
      if (!v || v.type !== 5 || v.n < 1 || !inFile(v.at, 8)) return undefined;
      const den = u32(v.at + 4);
      return den === 0 ? undefined : u32(v.at) / den;
    };

    const reducedResolution = ((int(TAG.newSubfileType) ?? 0) & 1) === 1;
    if (!reducedResolution) {
      if (frames.length >= maxFrames) {
        throw new PipelineError('TooManyPages', `The TIFF has more than ${maxFrames} pages; the limit is ${maxFrames}.`);
      }
      const width = int(TAG.width);
      const height = int(TAG.height);
      if (!width || !height) throw damaged(`page ${frames.length + 1} has no pixel size`);
      // TIFF's default unit is the inch; 1 means the resolutions give only the pixels' aspect ratio.
      const unit = int(TAG.resolutionUnit) ?? 2;
      const perInch = unit === 3 ? 2.54 : 1;
      const x = rational(TAG.xResolution);
      const y = rational(TAG.yResolution) ?? x;
      const valid = (v: number | undefined) => v !== undefined && Number.isFinite(v) && v > 0;
      frames.push({
        directory,
        width,
        height,
        xDpi: valid(x) ? x! * perInch : undefined,
        yDpi: valid(y) ? y! * perInch : undefined,
        aspectOnly: unit === 1,
        orientation: int(TAG.orientation) ?? 1,
      });
    }
    ifd = readOffset(entries + count * entrySize);
  }
  if (frames.length === 0) throw damaged('it holds no page');
  return frames;
}
