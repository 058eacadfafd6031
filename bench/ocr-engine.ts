/**
 * 1. OCR engine: the project's OCR path (library/pdf/render.ts pageImagesForOcr: a page's stored scan
 * image as it is, or a pdf.js render at 300 dpi, as 8-bit grayscale PGM; then
 * library/ocr/pool.ts with the worker's settings: tesseract.js 7, eng 4.0.0_best_int, OEM 1, PSM 3,
 * rotateAuto, one worker per core) against native `tesseract` (OMP_THREAD_LIMIT=1, one process per core,
 * each page its own process, the same PGM files, --oem 1 --psm 3 --dpi 300), with the same language data
 * (the npm package's best_int traineddata, gunzipped) and with Debian's own eng.traineddata.
 * Character error rate against the known text of generated pages.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pageImagesForOcr } from '../library/pdf/render.js';
import { closeOcrPool, getOcrPool, langDataDir, LANG_DATA_VARIANT } from '../library/ocr/pool.js';
import { scannedReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import type { BenchContext } from './lib/context.js';
import { cpuParts } from './lib/proc.js';
import { CORPUS, trackProcess } from './lib/stack.js';
import { cer, cerParts, pageTruth } from './lib/truth.js';
import { fmt, fmtPct, fmtRatio, gapAtLeast, median, type Report } from './lib/util.js';

const TESSERACT = process.env.TESSERACT_BIN ?? 'tesseract';
const DEBIAN_TESSDATA = '/usr/share/tesseract-ocr/5/tessdata';
/** Real scans from the corpus (first page of each), full mode only: speed on dense pages. */
const CORPUS_PAGES = [
  'scanned/ocrmypdf_c02-22_huckfinn.pdf',
  'scanned/ocrmypdf_linn_two_column.pdf',
  'scanned/ocrmypdf_ccitt_g4.pdf',
  'scanned/ocrmypdf_epson_scan.pdf',
];

interface PageImage {
  file: string;
  image: Uint8Array;
  truth?: string;
}

interface EngineRun {
  wallMs: number[];
  cpuS: number[];
  texts: string[];
}

/** This process's CPU seconds: own threads (tesseract.js workers included) and reaped children (native tesseract). */
const selfCpu = () => cpuParts(process.pid);

async function tesseractVersion(): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(TESSERACT, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', () => resolve(''));
    p.on('exit', () => resolve(/tesseract\s+(\S+)/.exec(out)?.[1] ?? ''));
  });
}

function runNative(file: string, tessdataDir: string | undefined): Promise<string> {
  const args = [file, 'stdout', '-l', 'eng', '--oem', '1', '--psm', '3', '--dpi', '300'];
  if (tessdataDir) args.push('--tessdata-dir', tessdataDir);
  return new Promise((resolve, reject) => {
    const p = trackProcess(spawn(TESSERACT, args, { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`tesseract exited ${code ?? signal}: ${err.slice(-500)}`))));
  });
}

/** All pages through native tesseract, `parallel` processes at a time. */
async function nativeRun(pages: PageImage[], tessdataDir: string | undefined, parallel: number): Promise<{ wallMs: number; cpuS: number; texts: string[] }> {
  const texts: string[] = new Array(pages.length);
  const c0 = selfCpu().children;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, pages.length) }, async () => {
      while (next < pages.length) {
        const i = next++;
        texts[i] = await runNative(pages[i]!.file, tessdataDir);
      }
    }),
  );
  return { wallMs: performance.now() - t0, cpuS: selfCpu().children - c0, texts };
}

async function jsRun(pages: PageImage[], size: number): Promise<{ wallMs: number; cpuS: number; texts: string[] }> {
  const pool = await getOcrPool('eng', { size });
  const c0 = selfCpu().own;
  const t0 = performance.now();
  const results = await Promise.all(pages.map((p) => pool.recognize(p.image)));
  return { wallMs: performance.now() - t0, cpuS: selfCpu().own - c0, texts: results.map((r) => r.text) };
}

interface Group {
  label: string;
  pages: PageImage[];
  imageMs: number[];
  imageCpuS: number;
}

async function pageImagesAll(label: string, docs: Array<{ pdf: Uint8Array; pageNos: number[]; truths?: string[] }>, dir: string): Promise<Group> {
  const pages: PageImage[] = [];
  const imageMs: number[] = [];
  const c0 = selfCpu().own;
  let k = 0;
  for (const d of docs) {
    for (const [j, pageNo] of d.pageNos.entries()) {
      const t0 = performance.now();
      let r: { image: Uint8Array; dpi: number } | undefined;
      for await (const input of pageImagesForOcr(d.pdf, [pageNo], { dpi: 300 })) if (input.kind === 'image') r = input;
      if (!r) throw new Error(`${label} page ${pageNo}: nothing to recognise`);
      if (r.dpi !== 300) throw new Error(`${label} page ${pageNo}: a ${r.dpi}-dpi image (native tesseract is told 300)`);
      imageMs.push(performance.now() - t0);
      const file = path.join(dir, `${label}-${++k}.pgm`);
      fs.writeFileSync(file, r.image);
      pages.push({ file, image: r.image, truth: d.truths?.[j] });
    }
  }
  return { label, pages, imageMs, imageCpuS: selfCpu().own - c0 };
}

export async function ocrEngine(ctx: BenchContext): Promise<Report> {
  const nPages = ctx.quick ? 4 : 8;
  const repeats = ctx.quick ? 1 : 3;
  const workers = ctx.cores;
  const dir = fs.mkdtempSync(path.join(ctx.tmp, 'ocr-'));

  // Same language data for native: the npm package's traineddata, gunzipped.
  const bestIntDir = path.join(dir, 'tessdata-best_int');
  fs.mkdirSync(bestIntDir);
  fs.writeFileSync(path.join(bestIntDir, 'eng.traineddata'), zlib.gunzipSync(fs.readFileSync(path.join(langDataDir('eng'), 'eng.traineddata.gz'))));
  const version = await tesseractVersion();
  const haveNative = version !== '';
  const debianData = fs.existsSync(path.join(DEBIAN_TESSDATA, 'eng.traineddata'));

  ctx.progress(`ocr-engine: generating ${nPages} pages and their page images`);
  const report = syntheticReport({ pages: nPages, seed: 101, rowsPerPage: 24 });
  const pdf = new Uint8Array(scannedReportPdf(report));
  const groups: Group[] = [
    await pageImagesAll('generated', [{ pdf, pageNos: report.pages.map((_, i) => i + 1), truths: report.pages.map((_, i) => pageTruth(report, i)) }], dir),
  ];
  if (!ctx.quick) {
    const present = CORPUS_PAGES.filter((f) => fs.existsSync(path.join(CORPUS, f)));
    if (present.length)
      groups.push(
        await pageImagesAll(
          'corpus',
          present.map((f) => ({ pdf: new Uint8Array(fs.readFileSync(path.join(CORPUS, f))), pageNos: [1] })),
          dir,
        ),
      );
  }

  const rows: string[][] = [];
  const data: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const g of groups) {
    const n = g.pages.length;
    const hasTruth = g.pages.every((p) => p.truth !== undefined);
    const cerOf = (texts: string[]) => (hasTruth ? cer(texts.map((t, i) => cerParts(t, g.pages[i]!.truth!))) : NaN);

    // tesseract.js: warm the pool first (worker start-up is a one-off per process), then time.
    ctx.progress(`ocr-engine: tesseract.js pool of ${workers} on ${n} ${g.label} pages × ${repeats}`);
    await jsRun(g.pages.slice(0, workers), workers);
    const js: EngineRun = { wallMs: [], cpuS: [], texts: [] };
    for (let r = 0; r < repeats; r++) {
      const x = await jsRun(g.pages, workers);
      js.wallMs.push(x.wallMs);
      js.cpuS.push(x.cpuS);
      js.texts = x.texts;
    }
    await closeOcrPool();

    const natives: Array<{ label: string; data: string; run: EngineRun }> = [];
    if (haveNative) {
      const variants: Array<{ data: string; dir?: string }> = [{ data: `eng ${LANG_DATA_VARIANT} (same file, gunzipped)`, dir: bestIntDir }];
      if (debianData) variants.push({ data: 'Debian tesseract-ocr-eng (4.1 MB: tessdata_fast)', dir: DEBIAN_TESSDATA });
      for (const v of variants) {
        ctx.progress(`ocr-engine: native tesseract ×${workers} (${v.data}) on ${n} ${g.label} pages × ${repeats}`);
        const run: EngineRun = { wallMs: [], cpuS: [], texts: [] };
        for (let r = 0; r < repeats; r++) {
          const x = await nativeRun(g.pages, v.dir, workers);
          run.wallMs.push(x.wallMs);
          run.cpuS.push(x.cpuS);
          run.texts = x.texts;
        }
        natives.push({ label: `native tesseract ${version}, ${workers} processes`, data: v.data, run });
      }
    }

    const ppm = (wall: number[]) => (n / (median(wall) / 1000)) * 60;
    const jsPpm = ppm(js.wallMs);
    const nativeSame = natives[0];
    const nativePpm = nativeSame ? ppm(nativeSame.run.wallMs) : NaN;
    const imageMedian = median(g.imageMs);
    const prefix = groups.length > 1 ? `${g.label}: ` : '';
    rows.push([
      `${prefix}page image (project path → PGM), 1 thread`,
      '-',
      String(n),
      fmt(60_000 / imageMedian, 0),
      fmt(imageMedian / 1000, 2),
      fmt(g.imageCpuS / n, 2),
      '-',
      '-',
    ]);
    const jsCer = cerOf(js.texts);
    rows.push([
      `${prefix}tesseract.js 7 pool of ${workers} (project path)`,
      `eng ${LANG_DATA_VARIANT} (@tesseract.js-data/eng)`,
      String(n),
      fmt(jsPpm, 1),
      fmt(((median(js.wallMs) / 1000) * workers) / n, 2),
      fmt(median(js.cpuS) / n, 2),
      hasTruth ? fmtPct(jsCer, 2) : 'n/a',
      fmtRatio(jsPpm / nativePpm),
    ]);
    const nativeCers: number[] = [];
    for (const nat of natives) {
      const p = ppm(nat.run.wallMs);
      const c = cerOf(nat.run.texts);
      nativeCers.push(c);
      rows.push([
        `${prefix}${nat.label}`,
        nat.data,
        String(n),
        fmt(p, 1),
        fmt(((median(nat.run.wallMs) / 1000) * workers) / n, 2),
        fmt(median(nat.run.cpuS) / n, 2),
        hasTruth ? fmtPct(c, 2) : 'n/a',
        fmtRatio(p / nativePpm),
      ]);
    }
    data[g.label] = {
      pages: n,
      imageMsMedian: imageMedian,
      tesseractJs: { pagesPerMin: jsPpm, wallMs: js.wallMs, cpuS: js.cpuS, cer: jsCer },
      native: natives.map((nat, i) => ({ data: nat.data, pagesPerMin: ppm(nat.run.wallMs), wallMs: nat.run.wallMs, cpuS: nat.run.cpuS, cer: nativeCers[i] })),
    };
    if (g.label === 'generated') {
      notes.push(gapAtLeast('target: OCR path ≥ 0.7× native pages/min (same data)', jsPpm / nativePpm, 0.7, '×'));
      if (hasTruth && nativeSame) {
        const diff = (jsCer - nativeCers[0]!) * 100;
        notes.push(
          `target: CER no worse than native + 0.5 points: ${fmt(jsCer * 100, 2)} % vs ${fmt(nativeCers[0]! * 100, 2)} % → ${diff <= 0.5 ? 'met' : `missed by ${fmt(diff - 0.5, 2)} points`} (difference ${diff >= 0 ? '+' : ''}${fmt(diff, 2)} points)`,
        );
      }
      const endToEndPpm = 60 / (imageMedian / 1000 / workers + median(js.wallMs) / 1000 / n);
      notes.push(`page image + recognise on ${workers} cores (page-image time added, if spread over ${workers} cores): ≈ ${fmt(endToEndPpm, 1)} pages/min`);
    }
  }
  if (!haveNative) notes.push(`native tesseract not found (${TESSERACT}): install Debian's tesseract-ocr for the comparison`);
  notes.push(
    `pages: generated lab reports (24 result rows, ${nPages} pages, 300-dpi JPEG scans)${ctx.quick ? '' : ' + first page of 4 corpus scans (dense; no exact ground truth, so no CER)'}; medians of ${repeats} run(s); tesseract.js warmed up first, native pays its model load on every page (one process per page, like a CLI user).`,
    'CER = Levenshtein edits / reference characters after collapsing whitespace runs to one space, summed over pages; reading order counts.',
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    name: 'ocr-engine',
    title: '1. OCR engine: project OCR path vs native tesseract',
    header: [`${workers} workers / processes (one per core); settings: OEM 1 (LSTM), PSM 3, 300 dpi; tesseract.js with rotateAuto (deskew) as in the worker`],
    columns: ['engine', 'language data', 'pages', 'pages/min', 's/page/worker', 'CPU s/page', 'CER', 'vs native same data'],
    rows,
    notes,
    data,
  };
}
