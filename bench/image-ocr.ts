/**
 * 7. Image path: pages/min of image files read the way the OCR activity reads them (library/document
 * documentPagesForOcr: sharp decodes each frame upright, square pixels, grayscale PGM at the file's
 * resolution; then library/ocr/pool.ts recognises it with the frame's dpi, orientation check on) against
 * a bare tesseract.js pool (createWorker with the same language data and settings, a plain queue, no
 * decode, no orientation check) on the same decoded pixels. Both use one worker per core, at the same
 * CPU priority, with every page queued at once.
 *
 * For a stable figure each corpus page is queued several times per run, and the sides run in rounds in
 * rotating order, with a third side between them: the project pool on the pre-decoded pixels (the
 * image path without decoding), which tells a gap in the pool from one in decoding. The table gives
 * medians with their range. CPU
 * seconds per page (every thread of this process: the OCR threads, libvips, the main thread) are
 * given beside wall time: on a loaded machine they move far less. Decoding is also timed alone, with
 * nothing else running, per file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Tesseract from 'tesseract.js';
import { documentKindOf, documentPagesForOcr } from '../library/document/index.js';
import { readImageInfo } from '../library/image/decode.js';
import { closeOcrPool, getOcrPool, langDataDir, ORIENTATION_CHECK_BELOW, PAGE_SEG_MODE, type OcrResult } from '../library/ocr/pool.js';
import { shape, wordsToText, type TessData } from '../library/ocr/tesseract-output.js';
import type { BenchContext } from './lib/context.js';
import { busyShare, machineCpu } from './lib/proc.js';
import { CORPUS } from './lib/stack.js';
import { fmt, fmtPct, fmtRatio, gapAtLeast, median, type Report } from './lib/util.js';

/** The corpus's image files: PNG scans and photos, and a 4-page CCITT G4 fax TIFF. */
const CORPUS_IMAGES = [
  'medical/agentforge_fax_packet_chen.tiff',
  'medical/aws_cms1500_claim.png',
  'medical/aws_discharge_summary.png',
  'medical/aws_insurance_card.png',
  'medical/aws_provider_note_skewed.png',
];
const QUICK_IMAGES = ['medical/agentforge_fax_packet_chen.tiff'];

/** Full mode: every corpus page queued this many times per run, this many rounds of the three sides, this many decode-only passes. */
const FULL = { copies: 2, pairs: 4, decodePasses: 3 };
const QUICK = { copies: 1, pairs: 1, decodePasses: 1 };

interface ImageFile {
  rel: string;
  bytes: Uint8Array;
  pages: number;
  /** Pixels of its largest frame as decoded for OCR. */
  largestFrame: number;
}

interface DecodedPage {
  file: string;
  pageNo: number;
  image: Uint8Array;
  dpi: number;
}

/** The image path; the project pool on the pre-decoded pixels (the image path without decoding); the bare tesseract.js pool. */
type Side = 'image' | 'pool' | 'bare';
const SIDE_NAME: Record<Side, string> = { image: 'image path', pool: 'project OCR pool on decoded pixels', bare: 'bare tesseract.js pool' };

interface Run {
  side: Side;
  pair: number;
  wallMs: number;
  cpuS: number;
  /** Wall time spent decoding (while the pool recognises what was decoded before). */
  decodeMs?: number;
  /** 1-minute load average when the run started. */
  load1: number;
  /** Share of the whole machine's CPU that was busy during the run (this process and everyone else). */
  machineBusy: number;
}

/** CPU seconds of every thread of this process (getrusage: the OCR threads, libvips, the main thread), to the microsecond. */
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const pageList = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const spread = (xs: readonly number[], digits: number) => (xs.length > 1 ? `${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}` : '-');

/** Every page of `files`, `copies` times over, decoded once each (what the bare pool is given). */
async function decodeAll(files: ImageFile[], copies: number): Promise<DecodedPage[]> {
  const out: DecodedPage[] = [];
  for (let c = 0; c < copies; c++) {
    for (const f of files) {
      for await (const input of documentPagesForOcr(f.bytes, pageList(f.pages))) {
        if (input.kind === 'image') out.push({ file: path.basename(f.rel), pageNo: input.pageNo, image: input.image, dpi: input.dpi });
      }
    }
  }
  return out;
}

/** Decoding alone, nothing else running: CPU and wall seconds per page of each file (median of `passes`). */
async function decodeAlone(files: ImageFile[], passes: number) {
  const perFile: Array<{ file: string; pages: number; cpuS: number; wallS: number }> = [];
  for (const f of files) {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let p = 0; p < passes; p++) {
      const c0 = selfCpu();
      const t0 = performance.now();
      for await (const input of documentPagesForOcr(f.bytes, pageList(f.pages))) void input;
      wall.push((performance.now() - t0) / 1000 / f.pages);
      cpu.push((selfCpu() - c0) / f.pages);
    }
    perFile.push({ file: path.basename(f.rel), pages: f.pages, cpuS: median(cpu), wallS: median(wall) });
  }
  return perFile;
}

/** The image path: decode each file's frames in turn (one thread, as the activity does) and queue each page on the pool as soon as it is decoded. */
async function imagePath(files: ImageFile[], copies: number, workers: number) {
  const pool = await getOcrPool('eng', { size: workers, nice: 0 });
  const t0 = performance.now();
  const c0 = selfCpu();
  let decodeMs = 0;
  const recognitions: Array<Promise<OcrResult>> = [];
  for (let c = 0; c < copies; c++) {
    for (const f of files) {
      let d0 = performance.now();
      for await (const input of documentPagesForOcr(f.bytes, pageList(f.pages))) {
        decodeMs += performance.now() - d0;
        if (input.kind === 'image') recognitions.push(pool.recognize(input.image, { dpi: input.dpi }));
        d0 = performance.now();
      }
    }
  }
  const results = await Promise.all(recognitions);
  return { wallMs: performance.now() - t0, cpuS: selfCpu() - c0, decodeMs, results };
}

/** The project pool on the pre-decoded pages: the image path without its decoding. */
async function poolOnDecoded(pages: DecodedPage[], workers: number) {
  const pool = await getOcrPool('eng', { size: workers, nice: 0 });
  const t0 = performance.now();
  const c0 = selfCpu();
  await Promise.all(pages.map((p) => pool.recognize(p.image, { dpi: p.dpi })));
  return { wallMs: performance.now() - t0, cpuS: selfCpu() - c0 };
}

/** N plain tesseract.js workers on the decoded pages: OEM 1, PSM 3, the page's dpi, rotateAuto. */
async function barePool(pages: DecodedPage[], workers: Tesseract.Worker[]) {
  const t0 = performance.now();
  const c0 = selfCpu();
  const results: TessData[] = new Array<TessData>(pages.length);
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      let dpi = 0;
      while (next < pages.length) {
        const i = next++;
        const p = pages[i]!;
        if (p.dpi !== dpi) {
          await w.setParameters({ user_defined_dpi: String(Math.round(p.dpi)) });
          dpi = p.dpi;
        }
        results[i] = (await w.recognize(p.image, { rotateAuto: true }, { text: true, blocks: true })).data as unknown as TessData;
      }
    }),
  );
  return { wallMs: performance.now() - t0, cpuS: selfCpu() - c0, results };
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
  const { copies, pairs, decodePasses } = ctx.quick ? QUICK : FULL;
  const rels = (ctx.quick ? QUICK_IMAGES : CORPUS_IMAGES).filter((rel) => fs.existsSync(path.join(CORPUS, rel)));
  if (rels.length === 0) throw new Error(`no corpus images under ${CORPUS}`);

  const files: ImageFile[] = [];
  for (const rel of rels) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(CORPUS, rel)));
    const kind = documentKindOf(bytes);
    if (kind === 'pdf') throw new Error(`${rel} is not an image file`);
    const info = await readImageInfo(bytes, kind, { maxPages: 1000 });
    files.push({ rel, bytes, pages: info.frames.length, largestFrame: Math.max(...info.frames.map((f) => f.width * f.height)) });
  }
  // Largest pages first (the same order on both sides), so that a long page does not finish alone at the end of a run, one core idle.
  files.sort((a, b) => b.largestFrame - a.largestFrame);
  const framesPerCopy = files.reduce((s, f) => s + f.pages, 0);

  ctx.progress(`image-ocr: decoding ${files.length} corpus image file(s) alone (${decodePasses} pass(es))`);
  const loadAtStart = os.loadavg();
  const decodeOnly = await decodeAlone(files, decodePasses);
  const decodeCpuPerPage = decodeOnly.reduce((s, d) => s + d.cpuS * d.pages, 0) / framesPerCopy;
  const decodeWallPerPage = decodeOnly.reduce((s, d) => s + d.wallS * d.pages, 0) / framesPerCopy;

  const decoded = await decodeAll(files, copies);
  const n = decoded.length;

  // Warm both: worker start-up is a one-off per process.
  ctx.progress(`image-ocr: warming up ${workers} workers of each kind`);
  const bare = await bareWorkers(workers);
  await barePool(decoded.slice(0, workers), bare);
  await imagePath([{ ...files[0]!, pages: Math.min(files[0]!.pages, workers) }], 1, workers);

  const runs: Run[] = [];
  let sameText = 0;
  let orientationChecked = 0;
  for (let pair = 0; pair < pairs; pair++) {
    // Rotating order, so that a change in the machine's load does not favour one side.
    const sides: Side[] = ['bare', 'image', 'pool'];
    const order = sides.map((_, i) => sides[(i + pair) % sides.length]!);
    let imageResults: OcrResult[] | undefined;
    let bareResults: TessData[] | undefined;
    for (const side of order) {
      ctx.progress(`image-ocr: ${SIDE_NAME[side]} on ${n} pages (round ${pair + 1}/${pairs})`);
      const load1 = os.loadavg()[0]!;
      const m0 = machineCpu();
      if (side === 'bare') {
        const x = await barePool(decoded, bare);
        runs.push({ side, pair, wallMs: x.wallMs, cpuS: x.cpuS, load1, machineBusy: busyShare(m0, machineCpu()) });
        bareResults = x.results;
      } else if (side === 'pool') {
        const x = await poolOnDecoded(decoded, workers);
        runs.push({ side, pair, wallMs: x.wallMs, cpuS: x.cpuS, load1, machineBusy: busyShare(m0, machineCpu()) });
      } else {
        const x = await imagePath(files, copies, workers);
        runs.push({ side, pair, wallMs: x.wallMs, cpuS: x.cpuS, decodeMs: x.decodeMs, load1, machineBusy: busyShare(m0, machineCpu()) });
        imageResults = x.results;
      }
    }
    if (pair === 0 && imageResults && bareResults) {
      // Same pixels, same engine settings: the text must be the same unless the orientation check turned the page.
      for (let i = 0; i < n; i++) {
        const r = imageResults[i]!;
        if (r.confidence < ORIENTATION_CHECK_BELOW || r.orientation !== 0) orientationChecked++;
        if (r.text === wordsToText(shape(bareResults[i]!).lines)) sameText++;
      }
    }
  }
  await Promise.all(bare.map((w) => w.terminate()));
  await closeOcrPool();
  const loadAtEnd = os.loadavg();

  const of = (side: Run['side']) => runs.filter((r) => r.side === side);
  const ppm = (r: Run) => (n / (r.wallMs / 1000)) * 60;
  const cpuPerPage = (r: Run) => r.cpuS / n;
  const imagePpm = of('image').map(ppm);
  const barePpm = of('bare').map(ppm);
  const imageCpu = of('image').map(cpuPerPage);
  const bareCpu = of('bare').map(cpuPerPage);
  const poolPpm = of('pool').map(ppm);
  const poolCpu = of('pool').map(cpuPerPage);
  const ratio = median(imagePpm) / median(barePpm);
  const cpuRatio = median(bareCpu) / median(imageCpu);
  const pairRatios = Array.from({ length: pairs }, (_, p) => {
    const [img, br] = [runs.find((r) => r.side === 'image' && r.pair === p)!, runs.find((r) => r.side === 'bare' && r.pair === p)!];
    return ppm(img) / ppm(br);
  });
  const loads = runs.map((r) => r.load1);
  const frames = files.map((f) => `${path.basename(f.rel)} (${f.pages})`).join(', ');
  const fmtLoad = (la: number[]) => la.map((x) => x.toFixed(2)).join(' ');

  return {
    name: 'image-ocr',
    title: '7. Image path: decode + OCR of image files vs a bare tesseract.js pool',
    header: [
      `${workers} workers each (one per core), nice 0; ${framesPerCopy} pages from ${frames}, each queued ${copies}× per run: ${n} pages a run`,
      `${pairs} round(s) of the three in rotating order, medians (range); load average ${fmtLoad(loadAtStart)} at start, ${fmtLoad(loadAtEnd)} at end, 1-min ${spread(loads, 2)} at the runs' starts`,
    ],
    columns: ['path', 'pages/run', 'pages/min', 'range', 'CPU s/page', 'range', 'decode CPU s/page', 'vs bare pool'],
    rows: [
      [
        'image path (sharp decode → PGM → project OCR pool)',
        String(n),
        fmt(median(imagePpm), 1),
        spread(imagePpm, 1),
        fmt(median(imageCpu), 2),
        spread(imageCpu, 2),
        fmt(decodeCpuPerPage, 3),
        fmtRatio(ratio),
      ],
      [
        'project OCR pool on the same decoded pixels (no decode)',
        String(n),
        fmt(median(poolPpm), 1),
        spread(poolPpm, 1),
        fmt(median(poolCpu), 2),
        spread(poolCpu, 2),
        '-',
        fmtRatio(median(poolPpm) / median(barePpm)),
      ],
      [
        'bare tesseract.js pool (same pixels)',
        String(n),
        fmt(median(barePpm), 1),
        spread(barePpm, 1),
        fmt(median(bareCpu), 2),
        spread(bareCpu, 2),
        '-',
        '1.00×',
      ],
    ],
    extra: [
      {
        columns: ['run', 'side', 'wall s', 'pages/min', 'CPU s/page', 'decode wall s/page', 'load 1-min', 'machine busy'],
        rows: runs.map((r, i) => [
          String(i + 1),
          r.side,
          fmt(r.wallMs / 1000, 1),
          fmt(ppm(r), 1),
          fmt(cpuPerPage(r), 2),
          r.decodeMs === undefined ? '-' : fmt(r.decodeMs / 1000 / n, 3),
          fmt(r.load1, 2),
          fmtPct(r.machineBusy, 0),
        ]),
      },
      {
        columns: ['decoding alone', 'pages', 'CPU s/page', 'wall s/page'],
        rows: decodeOnly.map((d) => [d.file, String(d.pages), fmt(d.cpuS, 3), fmt(d.wallS, 3)]),
      },
    ],
    notes: [
      gapAtLeast('target: image path ≥ 0.95× the bare pool (pages/min, ratio of the medians)', ratio, 0.95, '×'),
      `where a gap is: project pool on decoded pixels vs bare ${fmtRatio(median(poolPpm) / median(barePpm))} by pages/min, ${fmtRatio(median(bareCpu) / median(poolCpu))} by CPU s/page (the pool and its workers); image path vs that pool ${fmtRatio(median(imagePpm) / median(poolPpm))}, ${fmtRatio(median(poolCpu) / median(imageCpu))} (decoding)`,
      `paired runs: image/bare ${spread(pairRatios, 3)} (median ${fmt(median(pairRatios), 3)}); CPU: the bare pool needs ${fmtRatio(cpuRatio)} of the image path's CPU s/page`,
      `decoding alone: ${fmt(decodeCpuPerPage, 3)} CPU s (${fmt(decodeWallPerPage, 3)} s wall) per page, ${fmtPct(decodeCpuPerPage / median(imageCpu), 1)} of the image path's CPU per page`,
      `same text from both sides on ${sameText} of ${n} pages; the orientation check ran on ${orientationChecked} (mean confidence under ${ORIENTATION_CHECK_BELOW} or turned)`,
      "wall figures need a quiet machine (1-min load well under 0.5 at the runs' starts); CPU s/page moves far less with load.",
    ],
    data: {
      pages: n,
      copies,
      pairs,
      files: files.map((f) => ({ file: f.rel, pages: f.pages })),
      imagePagesPerMin: median(imagePpm),
      barePagesPerMin: median(barePpm),
      ratio,
      cpuRatio,
      pairRatios,
      poolPagesPerMin: median(poolPpm),
      poolCpuPerPage: median(poolCpu),
      decodeAlone: decodeOnly,
      decodeCpuPerPage,
      sameText,
      orientationChecked,
      loadAtStart,
      loadAtEnd,
      runs,
    },
  };
}
