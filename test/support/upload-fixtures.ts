/**
 * Files for the upload tests, generated: a page of the synthetic lab report as an image (PNG, TIFF,
 * GIF) with known text, rendered with the fixture fonts, and a few bytes of kinds that are not read.
 */
import { createCanvas } from '@napi-rs/canvas';
import sharp from 'sharp';
import type { SyntheticReport } from '../fixtures/generate.js';
// Registers the fixture fonts (FixtureSans, FixtureSansBold) as a side effect.
import '../fixtures/generate.js';

/** Page `pageIndex` of the report as black text on white, US Letter at `dpi`, in 8-bit gray. */
export async function reportPageImage(r: SyntheticReport, pageIndex: number, format: 'png' | 'tiff' | 'gif', dpi = 150): Promise<Buffer> {
  const w = Math.round(8.5 * dpi);
  const h = Math.round(11 * dpi);
  const canvas = createCanvas(w, h);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, w, h);
  g.fillStyle = '#111111';
  const pt = dpi / 72;
  const margin = dpi * 0.9;
  let y = margin;
  const line = (text: string, size: number, bold = false) => {
    g.font = `${size * pt}px ${bold ? 'FixtureSansBold' : 'FixtureSans'}`;
    y += size * pt * 1.6;
    g.fillText(text, margin, y);
  };
  line(r.facility, 22, true);
  line('LABORATORY REPORT', 18, true);
  line(`Patient Name: ${r.patientName}    DOB: ${r.dob}    MRN: ${r.mrn}`, 13);
  for (const row of r.pages[pageIndex]!) line(`${row.test}   ${row.value} ${row.unit}   (${row.range}) ${row.flag}`, 13);
  const gray = sharp(canvas.encodeSync('png')).grayscale().withMetadata({ density: dpi });
  if (format === 'png') return gray.png().toBuffer();
  if (format === 'tiff') return gray.tiff({ compression: 'lzw', xres: dpi / 25.4, yres: dpi / 25.4 }).toBuffer();
  return gray.gif().toBuffer();
}

/** The first bytes of kinds people send that are not read (enough for their signatures). */
export const NOT_READ = {
  heic: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(2000, 7)]),
  bmp: Buffer.concat([Buffer.from('BM'), Buffer.alloc(2000, 3)]),
  svg: Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'),
  text: Buffer.from('Patient notes, typed as plain text.\n'),
};
