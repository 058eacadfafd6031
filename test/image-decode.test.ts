/**
 * Image files as documents, without a stack: what kind a file is, its frames and resolution from the
 * header, the limits (pixel bombs, page count, damaged files), orientation, and what OCR reads from a
 * frame decoded upright.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { PipelineError } from '../core/errors.js';
import { documentKindOf, documentPagesForOcr, inspectDocument, renderDocumentPagePreview, type OcrPageInput } from '../library/document/index.js';
import { decodeFrame, readImageInfo } from '../library/image/decode.js';
import { planFrame } from '../library/image/resolution.js';
import { readTiffFrames } from '../library/image/tiff-header.js';
import { closeOcrPool, getOcrPool, parsePgm } from '../library/ocr/pool.js';
import { bombPng, exifRotatedJpeg, faxTiff, gifImage, pageAs, reportPages, sidewaysPng, truncatedPng } from './support/image-fixtures.js';

after(() => closeOcrPool());

/** The 3-page fax, made once (rendering the report is the slow part). */
let faxMade: ReturnType<typeof faxTiff> | undefined;
const threePageFax = () => (faxMade ??= faxTiff({ pages: 3, seed: 61 }));

const failsWith = (type: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof PipelineError, `expected a PipelineError, got ${String(err)}`);
  assert.equal(err.type, type, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

async function ocrInputs(bytes: Uint8Array, pages: number[]): Promise<Array<Extract<OcrPageInput, { kind: 'image' }>>> {
  const out: Array<Extract<OcrPageInput, { kind: 'image' }>> = [];
  for await (const input of documentPagesForOcr(bytes, pages)) {
    assert.equal(input.kind, 'image');
    if (input.kind === 'image') out.push(input);
  }
  return out;
}

/** Mean absolute difference of two equally sized gray images (0 = identical, 255 = inverted). */
function meanDifference(a: { width: number; height: number; data: Uint8Array }, b: { width: number; height: number; data: Uint8Array }): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe('what kind of file it is', () => {
  test('a GIF is refused by name of its format, with the accepted ones', async () => {
    const gif = await gifImage();
    assert.throws(() => documentKindOf(gif), failsWith('UnsupportedFormat', /GIF image, which is not read; accepted: PDF, TIFF, PNG, JPEG, WebP/));
    await assert.rejects(inspectDocument(gif, { maxPages: 10 }), failsWith('UnsupportedFormat'));
  });

  test('a PNG is read as a PNG whatever it is called, and each accepted encoding is recognised by its bytes', async () => {
    const png = (await pageAs('png', { dpi: 100 })).bytes; // the bytes a file named "report.pdf" would carry
    assert.equal(documentKindOf(png), 'png');
    assert.equal(documentKindOf((await pageAs('webp', { dpi: 100 })).bytes), 'webp');
    assert.equal(documentKindOf((await pageAs('lzw-tiff', { dpi: 100 })).bytes), 'tiff');
    assert.equal(documentKindOf((await exifRotatedJpeg({ dpi: 100 })).bytes), 'jpeg');
    const info = await inspectDocument(png, { maxPages: 10 });
    assert.equal(info.pageCount, 1);
    assert.equal(info.pages[0]!.needsOcr, true);
    assert.equal(info.pages[0]!.reason, 'image-frame');
  });
});

describe('a multi-page fax TIFF', () => {
  test('three CCITT G4 pages at 204 × 196 dpi: three pages, read with square pixels at 204 dpi, letter-sized', async () => {
    const fax = await threePageFax();
    assert.equal(fax.storedHeight < fax.uprightHeight, true, 'the fixture stores the pages squashed, as a fax does');
    const headers = readTiffFrames(fax.bytes, 10);
    assert.deepEqual(
      headers.map((h) => [Math.round(h.xDpi!), Math.round(h.yDpi!)]),
      [
        [204, 196],
        [204, 196],
        [204, 196],
      ],
    );
    const info = await inspectDocument(fax.bytes, { maxPages: 10 });
    assert.equal(info.pageCount, 3);
    for (const p of info.pages) {
      assert.ok(Math.abs(p.width - 612) < 2 && Math.abs(p.height - 792) < 2, `a letter page in points, got ${p.width} × ${p.height}`);
    }
    const inputs = await ocrInputs(fax.bytes, [1, 2, 3]);
    assert.deepEqual(
      inputs.map((i) => i.pageNo),
      [1, 2, 3],
    );
    for (const input of inputs) {
      assert.equal(Math.round(input.dpi), 204);
      assert.equal(input.origin, 'image-file');
      // Stretched back to the page's real proportions (8.5 × 11 in), not left squashed.
      assert.equal(input.width, fax.pageWidth);
      assert.ok(Math.abs(input.height - fax.uprightHeight) <= 1, `height ${input.height} vs ${fax.uprightHeight}`);
    }
    // Each page holds its own content: the report's page as rendered, back at its real proportions.
    const rendered = await reportPages({ pages: 3, seed: 61, dpi: 204 });
    for (const [i, input] of inputs.entries()) {
      const decoded = parsePgm(input.image)!;
      const diff = meanDifference(decoded, rendered.pages[i]!);
      assert.ok(diff < 8, `page ${i + 1}: mean difference ${diff.toFixed(2)} from the page it was made of`);
    }
  });

  test('frames decoded ahead still come in the order asked, and a missing page fails at its place', async () => {
    const fax = await threePageFax();
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const input of documentPagesForOcr(fax.bytes, [3, 1, 5, 2])) seen.push(input.pageNo);
      })(),
      failsWith('NotFound', /has 3 pages/),
    );
    assert.deepEqual(seen, [3, 1]);
    // A caller that stops early leaves no decode failing unobserved.
    for await (const input of documentPagesForOcr(fax.bytes, [1, 2, 3, 9])) {
      assert.equal(input.pageNo, 1);
      break;
    }
  });

  test('more frames than MAX_PAGES is TooManyPages, from the header', async () => {
    const fax = await threePageFax();
    await assert.rejects(inspectDocument(fax.bytes, { maxPages: 2 }), failsWith('TooManyPages', /limit is 2/));
  });

  test('a TIFF cut short loses its last page directory: InvalidImage, not a shorter document', async () => {
    const fax = await threePageFax();
    const cut = fax.bytes.subarray(0, fax.bytes.length - 200);
    await assert.rejects(inspectDocument(cut, { maxPages: 10 }), failsWith('InvalidImage', /damaged or incomplete/));
  });

  test('LZW and JPEG compressed TIFFs decode to the page as rendered', async () => {
    const upright = (await reportPages({ pages: 1, dpi: 200 })).pages[0]!;
    for (const format of ['lzw-tiff', 'jpeg-tiff'] as const) {
      const { bytes } = await pageAs(format, { dpi: 200 });
      const [input] = await ocrInputs(bytes, [1]);
      assert.equal(input!.dpi, 200);
      const diff = meanDifference(parsePgm(input!.image)!, upright);
      assert.ok(diff < 3, `${format}: mean difference ${diff.toFixed(2)}`);
    }
  });
});

describe('limits and damage', () => {
  test('a PNG declaring 60000 × 60000 pixels is ImageTooLarge from its header, without decoding it', async () => {
    const bomb = bombPng();
    assert.ok(bomb.length < 1000, `the bomb is ${bomb.length} bytes`);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await assert.rejects(inspectDocument(bomb, { maxPages: 10 }), failsWith('ImageTooLarge', /60000 × 60000 pixels.*limit is 100 megapixels/));
    await assert.rejects(ocrInputs(bomb, [1]), failsWith('ImageTooLarge'));
    await assert.rejects(renderDocumentPagePreview(bomb, 1), failsWith('ImageTooLarge'));
    const grownMb = (process.memoryUsage().rss - rssBefore) / 1e6;
    console.log(`bomb refused in ${Math.round(performance.now() - started)} ms; resident memory grew ${grownMb.toFixed(1)} MB`);
    assert.ok(grownMb < 100, `decoding 3.6 GP would take gigabytes; memory grew ${grownMb.toFixed(1)} MB`);
  });

  test("sharp's own pixel limit is the second guard when a frame's size was not checked first", async () => {
    const frame = { ...planFrame(60_000, 60_000, {}), pageNo: 1, page: 0, orientation: 1 };
    await assert.rejects(decodeFrame(bombPng(), 'png', frame), failsWith('ImageTooLarge'));
  });

  test('a truncated PNG is InvalidImage, because decoding fails on truncation (failOn), not left half-grey', async () => {
    const cut = await truncatedPng();
    // The header is intact: the document opens and counts one page ...
    assert.equal((await inspectDocument(cut, { maxPages: 10 })).pageCount, 1);
    // ... and decoding it is refused in plain words.
    await assert.rejects(ocrInputs(cut, [1]), failsWith('InvalidImage', /PNG image \(page 1\) is damaged or incomplete/));
    // What failOn decides: libvips left to its lenient setting hands back a partly grey page.
    const lenient = await sharp(cut, { failOn: 'none' }).raw().toBuffer();
    assert.ok(lenient.length > 0);
  });

  test('an image whose bytes stop inside the header is InvalidImage', async () => {
    const { bytes } = await pageAs('png', { dpi: 100 });
    await assert.rejects(inspectDocument(bytes.subarray(0, 20), { maxPages: 10 }), failsWith('InvalidImage'));
    await assert.rejects(inspectDocument(Buffer.from('II*\0\x08\0\0\0', 'latin1'), { maxPages: 10 }), failsWith('InvalidImage'));
  });
});

describe('orientation and resolution', () => {
  test('a JPEG stored sideways with EXIF orientation 6 is decoded upright, at the resolution it declares', async () => {
    const jpeg = await exifRotatedJpeg({ dpi: 200 });
    const meta = await sharp(jpeg.bytes).metadata();
    assert.equal(meta.orientation, 6);
    assert.ok(meta.width > meta.height, 'stored sideways');
    const [input] = await ocrInputs(jpeg.bytes, [1]);
    assert.deepEqual([input!.width, input!.height], [jpeg.upright.width, jpeg.upright.height]);
    assert.equal(input!.dpi, 200);
    const upright = (await reportPages({ pages: 1, dpi: 200 })).pages[0]!;
    const diff = meanDifference(parsePgm(input!.image)!, upright);
    assert.ok(diff < 4, `decoded upright: mean difference ${diff.toFixed(2)} from the page`);
    const info = await inspectDocument(jpeg.bytes, { maxPages: 10 });
    assert.ok(info.pages[0]!.height > info.pages[0]!.width, 'the page viewer shows it portrait');
  });

  test('the resolution comes from the file when believable, and from the page size when not', () => {
    // A 200-dpi fax stays 200 dpi.
    assert.equal(planFrame(1700, 2200, { xDpi: 200, yDpi: 200 }).dpi, 200);
    assert.equal(planFrame(1700, 2200, { xDpi: 200, yDpi: 200 }).dpiFrom, 'file');
    // Fax "normal" mode: 204 × 98 dpi lines are stretched to square pixels at 204 dpi.
    const normal = planFrame(1728, 1078, { xDpi: 204, yDpi: 98 });
    assert.deepEqual([normal.width, normal.height, normal.dpi], [1728, Math.round(1078 * (204 / 98)), 204]);
    // A screen default (72 dpi) on a 2550 × 3300 scan, and no resolution at all: a letter page, 300 dpi.
    for (const declared of [{ xDpi: 72, yDpi: 72 }, {}]) {
      const p = planFrame(2550, 3300, declared);
      assert.deepEqual([p.dpi, p.dpiFrom, Math.round(p.widthPt), Math.round(p.heightPt)], [300, 'assumed', 612, 792]);
    }
    // Nonsense (a card of 2668 pixels at 3810 dpi would be 0.7 in wide).
    assert.equal(planFrame(2668, 1830, { xDpi: 3810, yDpi: 3810 }).dpiFrom, 'assumed');
    // Orientations 5-8 swap the axes, and their resolutions.
    const turned = planFrame(2200, 1700, { xDpi: 196, yDpi: 204 }, 6);
    assert.deepEqual([turned.width, turned.dpi], [1700, 204]);
    assert.ok(Math.abs(turned.height - Math.round(2200 * (204 / 196))) <= 1);
    // Finer than OCR needs: scaled down to 600 dpi, not recognised at 1200.
    const fine = planFrame(10_200, 13_200, { xDpi: 1200, yDpi: 1200 });
    assert.ok(fine.dpi <= 600 && fine.width * fine.height <= 40_000_000);
  });

  test('the page viewer gets a grayscale PNG at screen resolution, relative to the frame', async () => {
    const fax = await threePageFax();
    const preview = await renderDocumentPagePreview(fax.bytes, 2);
    assert.ok(Math.abs(preview.width - 850) <= 2 && Math.abs(preview.height - 1100) <= 2, `${preview.width} × ${preview.height}`);
    const meta = await sharp(preview.png).metadata();
    assert.deepEqual([meta.format, meta.channels, meta.width], ['png', 1, preview.width]);
    const sharper = await renderDocumentPagePreview(fax.bytes, 2, { dpi: 150 });
    assert.ok(sharper.width > preview.width);
    await assert.rejects(renderDocumentPagePreview(fax.bytes, 4), failsWith('NotFound', /has 3 pages/));
    const info = await readImageInfo(fax.bytes, 'tiff', { maxPages: 10 });
    assert.equal(info.frames.length, 3);
  });

  test('a page scanned sideways (no orientation tag) is turned upright by the OCR pool and read', async () => {
    const { bytes, report } = await sidewaysPng({ dpi: 200 });
    const [input] = await ocrInputs(bytes, [1]);
    assert.ok(input!.width > input!.height, 'the pixels are sideways');
    const pool = await getOcrPool('eng', { size: 1 });
    const result = await pool.recognize(input!.image, { dpi: input!.dpi });
    // Turned a quarter anticlockwise to read; its lines come out whole and in reading order.
    assert.equal(result.orientation, 270);
    const lines = result.text.split('\n');
    assert.match(lines[0]!, new RegExp(report.facility));
    assert.ok(lines.some((l) => l.includes('LABORATORY REPORT')));
    assert.ok(lines.some((l) => l.includes(report.mrn)));
    for (const row of report.pages[0]!) {
      assert.ok(
        lines.some((l) => l.includes(row.test) && l.includes(row.value)),
        `${row.test} ${row.value} on one line`,
      );
    }
    // Word boxes are in the image as stored (what the page viewer shows): tall, inside the sideways page.
    const mrn = result.words.find((w) => w.text.includes(report.mrn))!;
    assert.ok(mrn.bbox.y1 - mrn.bbox.y0 > mrn.bbox.x1 - mrn.bbox.x0 && mrn.bbox.x1 <= input!.width && mrn.bbox.y1 <= input!.height);
  });
});
