/**
 * 7. Image path: pages/min of image files read the way the OCR activity reads them (library/document
 * documentPagesForOcr: sharp decodes each frame upright, square pixels, grayscale PGM at the file's
 * resolution; then library/ocr/pool.ts recognises it with the frame's dpi, orientation check on) against
 * a bare tesseract.js pool (createWorker with the same language data and settings, a plain queue, no
 * decode, no orientation check) on the same decoded pixels. Both use one worker per core, at the same
 * CPU priority, with every page queued at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import Tesseract from 'tesseract.js';
import { documentPagesForOcr, inspectDocument } from '../library/document/index.js';
import { closeOcrPool, getOcrPool, langDataDir, PAGE_SEG_MODE } from '../library/ocr/pool.js';
import type { BenchContext } from './lib/context.js';
import { cpuParts } from './lib/proc.js';
import { CORPUS } from './lib/stack.js';
import { fmt, fmtRatio, gapAtLeast, median, type Report } from './lib/util.js';

/** The corpus's image files: PNG scans and photos, and a 4-page CCITT G4 fax TIFF. */
const CORPUS_IMAGES = [
  'medical/agentforge_fax_packet_chen.tiff',
  'medical/aws_cms1500_claim.png',
  'medical/aws_discharge_summary.png',
  'medical/aws_insurance_card.png',
  'medical/aws_provider_note_skewed.png',
];
const QUICK_IMAGES = ['medical/agentforge_fax_packet_chen.tiff'];

interface DecodedPage {
  file: string;
  pageNo: number;
  image: Uint8Array;
  dpi: number;
}

const selfCpu = () => cpuParts(process.pid).own;

/** The image path: decode each file's frames in turn (one thread, as the activity does) and queue each page on the pool as soon as it is decoded. */
async function imagePath(files: Array<{ rel: string; bytes: Uint8Array; pages: number }>, workers: number) {
  const pool = await getOcrPool('eng', { size: workers, nice: 0 });
  const t0 = performance.now();
  const c0 = selfCpu();
  let decodeMs = 0;
  const recognitions: Array<Promise<unknown>> = [];
  for (const f of files) {
    let d0 = performance.now();
    const pageNos = Array.from({ length: f.pages }, (_, i) => i + 1);
    for await (const input of documentPagesForOcr(f.bytes, pageNos)) {
      decodeMs += performance.now() - d0;
      if (input.kind === 'image') recognitions.push(pool.recognize(input.image, { dpi: input.dpi }));
      d0 = performance.now();
    }
  }
  await Promise.all(recognitions);
  return { wallMs: performance.now() - t0, cpuS: selfCpu() - c0, decodeMs };
}

/** N plain tesseract.js workers on the decoded pages: OEM 1, PSM 3, the page's dpi, rotateAuto. */
async function barePool(pages: DecodedPage[], workers: Tesseract.Worker[]) {
  const t0 = performance.now();
  const c0 = selfCpu();
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      let dpi = 0;
      while (next < pages.length) {
        const p = pages[next++]!;
        if (p.dpi !== dpi) {
          await w.setParameters({ user_defined_dpi: String(Math.round(p.dpi)) });
          dpi = p.dpi;
        }
        await w.recognize(p.image, { rotateAuto: true }, { text: true, blocks: true });
      }
    }),
  );
  return { wallMs: performance.now() - t0, cpuS: selfCpu() - c0 };
}

async function bareWorkers(n: number): Promise<Tesseract.Worker[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const w = await Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
        langPath: langDataDir('eng'),
        gzip: true,
        cacheMethod: 'none',
        errorHandler: () => undefined,
      });
      await w.setParameters({ tessedit_pageseg_mode: PAGE_SEG_MODE, debug_file: '/dev/null' });
      return w;
    }),
  );
}

export async function imageOcr(ctx: BenchContext): Promise<Report> {
  const workers = ctx.cores;
  const repeats = ctx.quick ? 1 : 2;
  const rels = (ctx.quick ? QUICK_IMAGES : CORPUS_IMAGES).filter((rel) => fs.existsSync(path.join(CORPUS, rel)));
  if (rels.length === 0) throw new Error(`no corpus images under ${CORPUS}`);

  ctx.progress(`image-ocr: decoding ${rels.length} corpus image file(s)`);
  const files: Array<{ rel: string; bytes: Uint8Array; pages: number }> = [];
  const decoded: DecodedPage[] = [];
  for (const rel of rels) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(CORPUS, rel)));
    const pages = (await inspectDocument(bytes, { maxPages: 1000 })).pageCount;
    for await (const input of documentPagesForOcr(
      bytes,
      Array.from({ length: pages }, (_, i) => i + 1),
    )) {
      if (input.kind === 'image') decoded.push({ file: path.basename(rel), pageNo: input.pageNo, image: input.image, dpi: input.dpi });
    }
    files.push({ rel, bytes, pages });
  }
  const n = decoded.length;

  // Warm both: worker start-up is a one-off per process.
  ctx.progress(`image-ocr: warming up ${workers} workers of each kind`);
  const bare = await bareWorkers(workers);
  await barePool(decoded.slice(0, workers), bare);
  await imagePath([{ ...files[0]!, pages: Math.min(files[0]!.pages, workers) }], workers);

  const runs = { image: [] as number[], bare: [] as number[], imageCpu: [] as number[], bareCpu: [] as number[], decodeMs: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    // Alternating order, so that a change in the machine's load does not favour one side.
    const order = r % 2 === 0 ? (['bare', 'image'] as const) : (['image', 'bare'] as const);
    for (const which of order) {
      ctx.progress(`image-ocr: ${which === 'image' ? 'image path' : 'bare tesseract.js pool'} on ${n} pages (run ${r + 1}/${repeats})`);
      if (which === 'bare') {
        const x = await barePool(decoded, bare);
        runs.bare.push(x.wallMs);
        runs.bareCpu.push(x.cpuS);
      } else {
        const x = await imagePath(files, workers);
        runs.image.push(x.wallMs);
        runs.imageCpu.push(x.cpuS);
        runs.decodeMs.push(x.decodeMs);
      }
    }
  }
  await Promise.all(bare.map((w) => w.terminate()));
  await closeOcrPool();

  const ppm = (wall: number[]) => (n / (median(wall) / 1000)) * 60;
  const imagePpm = ppm(runs.image);
  const barePpm = ppm(runs.bare);
  const frames = files.map((f) => `${path.basename(f.rel)} (${f.pages})`).join(', ');
  return {
    name: 'image-ocr',
    title: '7. Image path: decode + OCR of image files vs a bare tesseract.js pool',
    header: [`${workers} workers each (one per core), nice 0; ${n} pages from ${frames}; medians of ${repeats} run(s)`],
    columns: ['path', 'pages', 'pages/min', 'wall s', 'CPU s/page', 'decode s/page', 'vs bare pool'],
    rows: [
      [
        'image path (sharp decode → PGM → project OCR pool)',
        String(n),
        fmt(imagePpm, 1),
        fmt(median(runs.image) / 1000, 1),
        fmt(median(runs.imageCpu) / n, 2),
        fmt(median(runs.decodeMs) / 1000 / n, 2),
        fmtRatio(imagePpm / barePpm),
      ],
      ['bare tesseract.js pool (same pixels)', String(n), fmt(barePpm, 1), fmt(median(runs.bare) / 1000, 1), fmt(median(runs.bareCpu) / n, 2), '-', '1.00×'],
    ],
    notes: [
      gapAtLeast('target: image path ≥ 0.95× the bare pool', imagePpm / barePpm, 0.95, '×'),
      'decode time is the frames decoded in one thread before and while the pool recognises; the project pool adds its orientation check on low-confidence or sideways pages.',
    ],
    data: { pages: n, files: files.map((f) => ({ file: f.rel, pages: f.pages })), imagePagesPerMin: imagePpm, barePagesPerMin: barePpm, runs },
  };
}
