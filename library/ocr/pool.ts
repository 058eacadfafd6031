/**
 * A pool of tesseract.js workers (worker threads running the WASM core), created on demand (at most
 * `size`) and reused for every page. Language data comes from the `@tesseract.js-data/<lang>` npm
 * packages; nothing is ever downloaded, and nothing is read from or written to a cache
 * (`cacheMethod: 'none'`).
 *
 * Engine settings: `4.0.0_best_int` data (OEM 1, LSTM only), PSM 3 (automatic page segmentation: keeps
 * columns in reading order and copes with forms) with `rotateAuto` (deskew). Why these, and what they
 * cost per page: bench/README.md, "OCR engine settings".
 *
 * Page orientation: tesseract's OSD needs `osd.traineddata` and the legacy engine, which no installed
 * package provides. Instead, when a page comes back with a low mean confidence, a band across the
 * middle of the page is probed at 0/90/180/270° and, if one orientation reads clearly better, the page
 * is recognised again in that orientation. The threshold sits below dense-but-upright forms and above
 * sideways pages. A sideways page tesseract reads anyway (its words come out as tall boxes, its lines
 * in the wrong order) is turned upright the way its words run (down the image: a quarter turn
 * anticlockwise; up: clockwise) and read again. Only PGM input (what render.ts and the image decoder
 * produce) can be rotated; other formats are recognised as given.
 *
 * `durationMs` in results is wall time of the call, including waiting for a free worker.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setEnvironmentData } from 'node:worker_threads';
import Tesseract from 'tesseract.js';
import { PipelineError } from '../../core/errors.js';

import { cropGray, encodePgm, parsePgm, rotateGray, unrotateBox, type Gray } from './gray-image.js';
import { probeScore, quarterTurnUpright, readsSideways, shape, wordsToText, type TessData } from './tesseract-output.js';

export { encodePgm, parsePgm, rotateGray, wordsToText, type Gray };

const require = createRequire(import.meta.url);
const OCR_THREAD_SCRIPT = fileURLToPath(new URL('./ocr-thread.cjs', import.meta.url));

/** Language data variant (folder inside `@tesseract.js-data/<lang>`); chosen in bench/README.md, "OCR engine settings". */
export const LANG_DATA_VARIANT = '4.0.0_best_int';
/** Page segmentation mode: 3 = fully automatic (no OSD). */
export const PAGE_SEG_MODE = Tesseract.PSM.AUTO;
/** One page must not keep a worker longer than this; the worker is then killed and replaced. */
export const RECOGNIZE_TIMEOUT_MS = 180_000;
/** Below this mean confidence we check whether the page is rotated. */
export const ORIENTATION_CHECK_BELOW = 45;
/** How much lower a sideways page's upright reading may score and still be preferred (its lines come out whole and in order). */
export const SIDEWAYS_CONFIDENCE_MARGIN = 10;
/** The OCR threads' nice value when the caller does not say (OCR_NICE's default in core/config.ts too). */
export const DEFAULT_OCR_NICE = 10;
/**
 * Key of the worker-thread environment data (node:worker_threads setEnvironmentData) that carries the
 * nice value to ocr-thread.cjs: tesseract.js spawns its threads itself and passes them no workerData.
 */
export const OCR_NICE_ENVIRONMENT_KEY = 'medextract:ocr-nice';

export interface OcrWord {
  text: string;
  /** 0–100 */
  confidence: number;
  /** Pixel box in the input image (x0,y0 top-left; x1,y1 bottom-right, exclusive). */
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrResult {
  /**
   * Recognised text in tesseract's reading order (blocks, then lines), one line per '\n', words
   * separated by one space or by two where the gap is wider than ~1.5 character widths (same
   * conventions as the PDF text layer, see text-layer.ts).
   */
  text: string;
  /** Mean word confidence, 0–100 (0 when nothing was recognised). */
  confidence: number;
  words: OcrWord[];
  /** Clockwise rotation (degrees) applied to the input to read it upright. */
  orientation: 0 | 90 | 180 | 270;
  /** Skew angle (radians) tesseract corrected; word boxes are in the deskewed frame. */
  skewRadians: number;
  durationMs: number;
}

export type OcrImage = Uint8Array;

export interface RecognizeOptions {
  /** Resolution of the image (default 300): tesseract sizes its expectations of text by it. */
  dpi?: number;
}

/** The resolution tesseract is told when the caller does not say (what render.ts produces). */
export const DEFAULT_DPI = 300;

export interface OcrPool {
  readonly lang: string;
  readonly size: number;
  recognize(image: OcrImage, opts?: RecognizeOptions): Promise<OcrResult>;
  /** Terminates the workers; pending and later calls fail. */
  close(): Promise<void>;
}

export interface OcrPoolOptions {
  /** Number of workers (default `os.availableParallelism()`; a worker process passes OCR_WORKERS). */
  size?: number;
  /**
   * Nice value of the OCR threads, 0–19 (default DEFAULT_OCR_NICE; a worker process passes OCR_NICE).
   * A lower priority keeps the API, database and Temporal bookkeeping on the same cores responsive
   * while OCR saturates the CPU; see ocr-thread.cjs.
   */
  nice?: number;
  /** Check and correct 90/180/270° page rotation on low-confidence pages (default true). */
  autoOrient?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Language data
// ---------------------------------------------------------------------------------------------------

/** Folder holding `<lang>.traineddata.gz` for a language, from its npm package. */
export function langDataDir(code: string, variant = LANG_DATA_VARIANT): string {
  if (!/^[a-z_]{3,}$/.test(code)) throw new Error(`Invalid OCR language code "${code}".`);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve(`@tesseract.js-data/${code}/package.json`));
  } catch (cause) {
    throw new Error(`OCR language "${code}" is not installed: add the npm package @tesseract.js-data/${code}.`, { cause });
  }
  const dir = path.join(pkgDir, variant);
  if (!fs.existsSync(path.join(dir, `${code}.traineddata.gz`))) {
    throw new Error(`OCR language data ${code}/${variant} is missing from @tesseract.js-data/${code}.`);
  }
  return dir;
}

interface Slot {
  worker: Tesseract.Worker;
  /** The `user_defined_dpi` the worker is set to. */
  dpi: number;
  busy: boolean;
  dead: boolean;
  /** Rejects the running job if the worker thread dies. */
  onDeath?: (err: Error) => void;
}

interface Job {
  run: (slot: Slot) => Promise<TessData>;
  resolve: (d: TessData) => void;
  reject: (e: unknown) => void;
}

class TesseractPool implements OcrPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private creating = 0;
  private closed = false;

  constructor(
    readonly lang: string,
    readonly size: number,
    private readonly autoOrient: boolean,
    private readonly nice: number,
  ) {}

  async recognize(image: OcrImage, opts: RecognizeOptions = {}): Promise<OcrResult> {
    const started = performance.now();
    if (!(image instanceof Uint8Array) || image.length === 0) throw new Error('OCR needs a non-empty image buffer.');
    const dpi = Math.round(opts.dpi ?? DEFAULT_DPI);
    if (!(dpi >= 50 && dpi <= 2400)) throw new Error(`OCR resolution must be 50–2400 dpi, got ${opts.dpi}.`);
    const gray = parsePgm(image);
    let orientation: 0 | 90 | 180 | 270 = 0;
    let data = await this.run(image, dpi);
    let shaped = shape(data);
    const sideways = readsSideways(shaped.words);
    if (this.autoOrient && gray && (shaped.confidence < ORIENTATION_CHECK_BELOW || sideways)) {
      const best = sideways ? quarterTurnUpright(shaped.lines) : await this.probeOrientation(gray, dpi);
      if (best !== 0) {
        const rotatedData = await this.run(encodePgm(rotateGray(gray, best)), dpi);
        const rotatedShaped = shape(rotatedData);
        // A sideways page read well already: turned upright it wins unless it reads clearly worse.
        const better = sideways
          ? !readsSideways(rotatedShaped.words) && rotatedShaped.confidence >= shaped.confidence - SIDEWAYS_CONFIDENCE_MARGIN
          : rotatedShaped.confidence > shaped.confidence;
        if (better) {
          orientation = best;
          data = rotatedData;
          shaped = rotatedShaped;
        }
      }
    }
    const w0 = gray?.width ?? 0;
    const h0 = gray?.height ?? 0;
    const words: OcrWord[] = shaped.words.map((w) => ({
      text: w.text.trim(),
      confidence: Math.round(w.confidence * 10) / 10,
      bbox: unrotateBox({ x0: w.bbox.x0, y0: w.bbox.y0, x1: w.bbox.x1, y1: w.bbox.y1 }, orientation, w0, h0),
    }));
    return {
      text: wordsToText(shaped.lines),
      confidence: Math.round(shaped.confidence * 10) / 10,
      words,
      orientation,
      skewRadians: typeof data.rotateRadians === 'number' ? data.rotateRadians : 0,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /**
   * Read a central band of the page in each orientation and return the clearly best one (0 unless
   * another orientation reads at least twice as many good words, and at least 5).
   */
  private async probeOrientation(gray: Gray, dpi: number): Promise<0 | 90 | 180 | 270> {
    const scores = new Map<0 | 90 | 180 | 270, number>();
    await Promise.all(
      ([0, 90, 180, 270] as const).map(async (deg) => {
        const r = rotateGray(gray, deg);
        // A band across the middle: 90% of the width, 20% of the height (at least 500 px high).
        const bw = Math.max(1, Math.round(r.width * 0.9));
        const bh = Math.min(r.height, Math.max(Math.round(r.height * 0.2), 500));
        const crop = cropGray(r, Math.round((r.width - bw) / 2), Math.round((r.height - bh) / 2), bw, bh);
        scores.set(deg, probeScore(await this.run(encodePgm(crop), dpi, false)));
      }),
    );
    const upright = scores.get(0) ?? 0;
    let best: 0 | 90 | 180 | 270 = 0;
    let bestScore = upright;
    for (const [deg, s] of scores) if (s > bestScore) [best, bestScore] = [deg, s];
    return best !== 0 && bestScore >= 5 && bestScore >= 2 * upright ? best : 0;
  }

  private run(image: Uint8Array, dpi: number, deskew = true): Promise<TessData> {
    return new Promise<TessData>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('The OCR pool is closed.'));
        return;
      }
      this.queue.push({
        run: async (slot) => {
          if (slot.dpi !== dpi) {
            await slot.worker.setParameters({ user_defined_dpi: String(dpi) });
            slot.dpi = dpi;
          }
          const r = await slot.worker.recognize(image, { rotateAuto: deskew }, { text: true, blocks: true });
          return r.data as unknown as TessData;
        },
        resolve,
        reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.busy && !s.dead);
      if (!slot) {
        if (this.slots.length + this.creating < this.size) this.spawn();
        return;
      }
      const job = this.queue.shift()!;
      this.execute(slot, job);
    }
  }

  private spawn(): void {
    this.creating++;
    createTesseractWorker(this.lang, this.nice)
      .then((worker) => {
        this.creating--;
        if (this.closed) {
          void worker.terminate();
          return;
        }
        const slot: Slot = { worker, dpi: DEFAULT_DPI, busy: false, dead: false };
        // A worker thread that dies (WASM abort, out of memory) fails its job instead of hanging it.
        const thread = (worker as unknown as { worker?: { on(ev: string, fn: (x: unknown) => void): void } }).worker;
        const die = (why: unknown): void => {
          if (slot.dead) return;
          slot.dead = true;
          this.remove(slot);
          slot.onDeath?.(new Error(`OCR worker stopped: ${why instanceof Error ? why.message : String(why)}`));
          this.pump();
        };
        thread?.on('error', die);
        thread?.on('exit', (code) => die(`exit code ${String(code)}`));
        this.slots.push(slot);
        this.pump();
      })
      .catch((err: unknown) => {
        this.creating--;
        // Cannot start a worker (e.g. missing language data): fail what is waiting, if nothing can serve it.
        if (this.slots.length === 0 && this.creating === 0) {
          for (const job of this.queue.splice(0)) job.reject(err);
        }
      });
  }

  private execute(slot: Slot, job: Job): void {
    slot.busy = true;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      slot.onDeath = undefined;
      fn();
      if (!slot.dead) slot.busy = false;
      this.pump();
    };
    const timer = setTimeout(() => {
      // A stuck recognition: kill the worker (the only way to stop WASM) and replace it later.
      slot.dead = true;
      this.remove(slot);
      void slot.worker.terminate();
      finish(() => job.reject(new PipelineError('Timeout', `OCR of a page took longer than ${RECOGNIZE_TIMEOUT_MS / 1000} s.`)));
    }, RECOGNIZE_TIMEOUT_MS);
    timer.unref?.();
    slot.onDeath = (err) => finish(() => job.reject(err));
    job.run(slot).then(
      (d) => finish(() => job.resolve(d)),
      (e: unknown) => finish(() => job.reject(e instanceof Error ? e : new Error(`OCR failed: ${String(e)}`))),
    );
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('The OCR pool is closed.'));
    const slots = this.slots.splice(0);
    for (const s of slots) s.dead = true;
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }
}

async function createTesseractWorker(lang: string, nice: number): Promise<Tesseract.Worker> {
  const codes = lang.split('+');
  // One language: its package folder is the langPath. Several: each from its own package.
  const langs: string | Tesseract.Lang[] =
    codes.length === 1 ? lang : codes.map((code) => ({ code, data: fs.readFileSync(path.join(langDataDir(code), `${code}.traineddata.gz`)) }));
  // createWorker spawns its thread synchronously, before its first await, so the value set here is the
  // one the new thread receives even when pools with other nice values start threads concurrently.
  setEnvironmentData(OCR_NICE_ENVIRONMENT_KEY, nice);
  const worker = await Tesseract.createWorker(langs, Tesseract.OEM.LSTM_ONLY, {
    // Our entry point lowers the thread's CPU priority first, see ocr-thread.cjs.
    workerPath: OCR_THREAD_SCRIPT,
    langPath: langDataDir(codes[0]!),
    gzip: true,
    cacheMethod: 'none',
    // Without a handler tesseract.js throws from its message listener (an uncaught exception);
    // failures reach us through the rejected job promise anyway.
    errorHandler: () => undefined,
  });
  await worker.setParameters({
    tessedit_pageseg_mode: PAGE_SEG_MODE,
    // Our renders are 300 dpi (lower only for huge pages; a stored scan may differ, see recognize's
    // `dpi`); stops "Estimating resolution" guesses.
    user_defined_dpi: String(DEFAULT_DPI),
    // Tesseract's diagnostics ("Detected N diacritics") go nowhere instead of stdout.
    debug_file: '/dev/null',
  });
  return worker;
}

// ---------------------------------------------------------------------------------------------------
// Process-wide pools
// ---------------------------------------------------------------------------------------------------

const pools = new Map<string, TesseractPool>();

/**
 * The process's OCR pool for `lang` (e.g. 'eng', 'eng+deu'), created on first use; `opts` apply only
 * then. Workers start lazily (up to `size`) and live until `close()` / `closeOcrPool()`. Throws if the
 * language data is not installed.
 */
export async function getOcrPool(lang = 'eng', opts: OcrPoolOptions = {}): Promise<OcrPool> {
  let pool = pools.get(lang);
  if (!pool) {
    for (const code of lang.split('+')) langDataDir(code); // fail fast, with a clear message
    const size = opts.size ?? Math.max(1, os.availableParallelism());
    if (!Number.isInteger(size) || size < 1) throw new Error(`OCR pool size must be a positive integer, got ${size}.`);
    const nice = opts.nice ?? DEFAULT_OCR_NICE;
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`OCR nice value must be a whole number from 0 to 19, got ${nice}.`);
    pool = new TesseractPool(lang, size, opts.autoOrient ?? true, nice);
    const created = pool;
    const close = created.close.bind(created);
    created.close = async () => {
      if (pools.get(lang) === created) pools.delete(lang);
      await close();
    };
    pools.set(lang, pool);
  }
  return pool;
}

/** Close every pool (worker shutdown). */
export async function closeOcrPool(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
