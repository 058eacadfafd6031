/**
 * Generated documents for the job-warnings tests: a PDF whose text layer is ordinary prose with nothing
 * medical in it, and a scan degraded the way a poor copy is (low resolution, faint ink, blur), so OCR
 * reads it with a low confidence. The wording is invented and unrelated to any rule of the extractor.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts');
GlobalFonts.registerFromPath(path.join(FONT_DIR, 'LiberationSans-Regular.ttf'), 'WarnFixtureSans');

/** Paragraphs of everyday prose (a garden club newsletter): text on every page, no clinical value in it. */
export const PROSE_PAGES: string[][] = [
  [
    'Riverside Garden Club Newsletter',
    'The spring meeting took place in the library hall on a bright Saturday morning.',
    'Members brought seedlings to swap and the tomato table was busier than ever before.',
    'Our treasurer thanked everyone who helped paint the fence along the north path.',
    'The compost bins behind the shed are now full, so please use the new bay by the gate.',
    'Next month we will visit the orchard on the hill and walk back along the canal towpath.',
    'Bring a hat, water and sturdy boots, and remember that dogs must stay on a lead there.',
    'The raffle raised enough to buy two wheelbarrows and a set of long handled pruners.',
  ],
  [
    'Notes from the Committee',
    'We are looking for volunteers to water the shared beds during the summer holidays.',
    'A rota sheet is pinned to the board in the tool store; add your name beside a week.',
    'The bee hotel built by the younger members has its first residents in the top row.',
    'Please do not spray anything near the lavender border while the bees are feeding there.',
    'The autumn show will have classes for the longest runner bean and the oddest carrot.',
    'Entries close a week before the show, and judging starts at ten in the main tent.',
    'Thank you all for another cheerful season of digging, sowing, weeding and sharing.',
  ],
];

const pdfString = (s: string) => `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;

/** A PDF with a real text layer (Helvetica), one line per entry, one page per inner array. */
export function textPdf(pages: string[][]): Buffer {
  return writePdf(
    pages.map((lines) => {
      const ops = ['BT'];
      let y = 720;
      for (const line of lines) {
        ops.push(`/F1 12 Tf 1 0 0 1 60 ${y} Tm ${pdfString(line)} Tj`);
        y -= 22;
      }
      ops.push('ET');
      return { content: ops.join('\n') };
    }),
  );
}

/**
 * A scan (one JPEG page, no text layer) of `lines`, degraded the way a poor copy of a copy is: low
 * resolution, faint grey ink and a blur. Deterministic, so the OCR confidence it yields is the same every
 * run (about 40% with the defaults, against above 90% for a clean scan of the same text).
 */
export function poorScanPdf(lines: string[], opts: { dpi?: number; ink?: number; blurPx?: number } = {}): Buffer {
  const dpi = opts.dpi ?? 100;
  const w = Math.round(8.5 * dpi);
  const h = Math.round(11 * dpi);
  const canvas = createCanvas(w, h);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, w, h);
  const ink = Math.round(opts.ink ?? 170);
  g.fillStyle = `rgb(${ink},${ink},${ink})`;
  g.filter = `blur(${opts.blurPx ?? 1.8}px)`;
  const px = (12 * dpi) / 72;
  g.font = `${px}px WarnFixtureSans`;
  let y = dpi;
  for (const line of lines) {
    g.fillText(line, dpi * 0.8, y);
    y += px * 1.8;
  }
  const jpeg = canvas.encodeSync('jpeg', 80);
  return writePdf([{ content: 'q 612 0 0 792 0 0 cm /Im1 Do Q', image: { jpeg, w, h } }]);
}

/** Minimal PDF writer (US Letter pages): objects, xref table and trailer. */
function writePdf(pages: Array<{ content: string; image?: { jpeg: Buffer; w: number; h: number } }>): Buffer {
  const objects: Buffer[] = [];
  const add = (b: Buffer | string) => {
    objects.push(Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1'));
    return objects.length;
  };
  const catalog = add('');
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const p of pages) {
    let resources = `/Font << /F1 ${font} 0 R >>`;
    if (p.image) {
      const img = add(
        Buffer.concat([
          Buffer.from(
            `<< /Type /XObject /Subtype /Image /Width ${p.image.w} /Height ${p.image.h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${p.image.jpeg.length} >>\nstream\n`,
            'latin1',
          ),
          p.image.jpeg,
          Buffer.from('\nendstream', 'latin1'),
        ]),
      );
      resources += ` /XObject << /Im1 ${img} 0 R >>`;
    }
    const content = Buffer.from(p.content, 'latin1');
    const contents = add(Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`, 'latin1'), content, Buffer.from('\nendstream', 'latin1')]));
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792] /Resources << ${resources} >> /Contents ${contents} 0 R >>`));
  }
  objects[catalog - 1] = Buffer.from(`<< /Type /Catalog /Pages ${pagesObj} 0 R >>`, 'latin1');
  objects[pagesObj - 1] = Buffer.from(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`, 'latin1');
  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let pos = chunks[0]!.length;
  objects.forEach((body, i) => {
    offsets.push(pos);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    chunks.push(obj);
    pos += obj.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${pos}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}
