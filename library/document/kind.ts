/**
 * What kind of document a file is, from its first bytes (never its name): the formats the pipeline
 * reads, the image formats people commonly send that it does not, and anything else.
 */
import { hasPdfHeader } from '../pdf/open.js';

export const ACCEPTED_KINDS = ['pdf', 'tiff', 'png', 'jpeg', 'webp'] as const;
export type DocumentKind = (typeof ACCEPTED_KINDS)[number];
export type ImageKind = Exclude<DocumentKind, 'pdf'>;

/** The accepted formats in words, for refusals. */
export const ACCEPTED_FORMATS = 'PDF, TIFF, PNG, JPEG, WebP';

/** How many leading bytes `detectDocumentKind` needs to decide. */
export const KIND_SIGNATURE_BYTES = 1024;

export type DetectedKind =
  | { kind: DocumentKind }
  /** A recognised format the pipeline does not read (`format` names it for the user). */
  | { kind: 'unsupported'; format: string }
  | { kind: 'unknown' };

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

export function detectDocumentKind(head: Uint8Array): DetectedKind {
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return { kind: 'tiff' };
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return { kind: 'tiff' }; // BigTIFF
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'png' };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: 'jpeg' };
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { kind: 'webp' };
  // Checked after the images: a PDF signature may sit anywhere in the first 1024 bytes.
  if (hasPdfHeader(head)) return { kind: 'pdf' };
  if (ascii(head, 0, 4) === 'GIF8') return { kind: 'unsupported', format: 'GIF' };
  if (ascii(head, 0, 2) === 'BM') return { kind: 'unsupported', format: 'BMP' };
  if (ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    if (/^(heic|heix|hevc|hevx|heim|heis|mif1|msf1)$/.test(brand)) return { kind: 'unsupported', format: 'HEIC' };
    if (/^avi[fs]$/.test(brand)) return { kind: 'unsupported', format: 'AVIF' };
  }
  if (startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(head, [0xff, 0x4f, 0xff, 0x51])) {
    return { kind: 'unsupported', format: 'JPEG 2000' };
  }
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(ascii(head, 0, Math.min(head.length, KIND_SIGNATURE_BYTES)))) {
    return { kind: 'unsupported', format: 'SVG' };
  }
  return { kind: 'unknown' };
}

export const isImageKind = (k: DocumentKind): k is ImageKind => k !== 'pdf';
