/**
 * Runs documents the way the pipeline does, without Temporal or a database:
 *  1. the document's pages are inspected (library/document inspectDocument, as prepareDocument does):
 *     a page with a usable text layer keeps it, the others go to OCR;
 *  2. OCR pages are read as the ocr activity reads them (documentPagesForOcr at 300 dpi, a stored scan or
 *     an image file at its own resolution, through the OCR pool); their text is cached on disk under
 *     `<cache>/ocr/`, keyed by the file's sha256, the OCR settings and a hash of the OCR code, so a second
 *     run does not OCR again and a change to the OCR code is never served stale text;
 *  3. the pages are chunked, each chunk extracted by the provider and validated, the parts merged and
 *     their evidence verified (chunkPages → provider → parseExtraction → mergeExtractions → verifyEvidence,
 *     as the llm and bookkeeping activities do);
 *  4. the result is scored against the document's truth.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from '../core/config.js';
import { emptyExtraction, parseExtraction, SCHEMA_VERSION, type EvidencePage, type Extraction, type PageText } from '../core/contract/extraction.js';
import { documentPagesForOcr, inspectDocument } from '../library/document/index.js';
import { chunkPages, mergeExtractions } from '../library/extraction/chunk.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { extractWithOpenAI, type LlmConfig } from '../library/extraction/openai-provider.js';
import { ocrLayoutPages } from '../library/layout/index.js';
import { extractThroughGateway, Gateway, prepareVault, vaultCounts, type DateMode, type GatewaySend } from '../library/deid/index.js';
import type { DeidCounts } from '../library/deid/vault.js';
import { getOcrPool, LANG_DATA_VARIANT, PAGE_SEG_MODE, type OcrPool } from '../library/ocr/pool.js';
import { aggregate, scoreDocument, type Counts, type DocScore } from './score.js';
import { mapTruth, type DocTruth } from './truth.js';
import { toView } from './view.js';
import type { JobResult } from '../core/contract/job-result.js';
import { exportBundle, jobBundleInput, uuidV5 } from '../library/fhir/index.js';
import { labSemantics } from '../library/lab/index.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { bundleLabRows, labRowDifferences, workbookLabRows } from '../test/support/fhir-agreement.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_DIR = path.resolve(REPO_ROOT, '../shared/corpus/medical');
export const DEFAULT_CACHE = path.resolve(REPO_ROOT, '.cache/eval');

/** Resolution of the page renders OCR reads (activities/ocr.ts). */
const OCR_DPI = 300;
/** Characters of page text per extraction part (workflows/process-document.ts DEFAULT_CHUNK_CHARS). */
export const DEFAULT_CHUNK_CHARS = 24_000;

export type Provider = 'offline' | 'openai';

/** The evaluation cannot start as asked (e.g. the openai provider without a key): nothing was scored. */
export class EvalSetupError extends Error {
  override readonly name = 'EvalSetupError';
}

export interface EvalOptions {
  dir?: string;
  provider?: Provider;
  /** Only documents whose file name contains this. */
  only?: string;
  /** Skip documents that have a page needing OCR. */
  noOcr?: boolean;
  /** Where OCR page text is cached (default .cache/eval); null: no cache. */
  cacheDir?: string | null;
  chunkChars?: number;
  /** The openai provider's server, model, key and response format (default: OPENAI_* and LLM_RESPONSE_FORMAT from core/config.ts). */
  openai?: LlmConfig;
  /** With the openai provider: send every part through the de-identification gateway (library/deid), dates shifted or tokenised. */
  deid?: DateMode;
  /** Progress lines (default: none). */
  onDocument?: (d: DocResult) => void;
}

export interface DocResult {
  file: string;
  pages: number;
  ocrPages: number;
  /** OCR pages served from the cache. */
  ocrCached: number;
  ms: { read: number; ocr: number; extract: number };
  score: DocScore;
  tokens?: { in: number; out: number };
  /** Truth keys of this document that no field type scores (truth.ts says why). */
  truthUnscored: string[];
  /** The document's FHIR Bundle: validation and the lab results' codes (absent when the document yielded nothing). */
  fhir?: FhirFigures;
  /** Why the document yielded nothing (it is then scored as an empty extraction). */
  error?: string;
  /** The verified extraction (absent when the document yielded nothing). */
  extraction?: Extraction;
  /** Through the gateway: identifiers replaced per category. */
  deid?: DeidCounts;
}

export interface FhirFigures {
  errors: number;
  warnings: number;
  labResults: number;
  /** Lab results whose unit got a UCUM code (of those with a unit). */
  withUnit: number;
  ucum: number;
  loincPrinted: number;
  loincMapped: number;
  /** Lab rows of the workbook that the Bundle lacks, and the other way round (0 and 0: they agree). */
  onlyInWorkbook: number;
  onlyInBundle: number;
}

/** Builds and validates the Bundle of one extraction as an export would, and counts the lab results' codes. */
async function fhirFigures(file: string, bytes: Uint8Array, pageCount: number, extraction: Extraction): Promise<FhirFigures> {
  const result: JobResult = {
    jobId: uuidV5(`eval/${file}`),
    filename: file,
    pageCount,
    provider: 'offline',
    extractedAt: new Date(0),
    extraction,
    schemaVersion: SCHEMA_VERSION,
    warnings: [],
    needsReview: false,
  };
  const { bundle, problems, errors } = exportBundle(await jobBundleInput(result, { bytes, uploadedAt: new Date(0), pageCount }, []));
  const labs = labSemantics(extraction);
  const differences = labRowDifferences(await workbookLabRows(await buildWorkbook(result)), bundleLabRows(bundle));
  return {
    errors,
    warnings: problems.length - errors,
    labResults: labs.length,
    withUnit: extraction.lab_results.filter((l) => (l.unit ?? '').trim() !== '').length,
    ucum: labs.filter((l) => l.ucum !== null).length,
    loincPrinted: labs.filter((l) => l.loinc_source === 'printed').length,
    loincMapped: labs.filter((l) => l.loinc_source === 'mapped').length,
    onlyInWorkbook: differences.onlyInWorkbook.length,
    onlyInBundle: differences.onlyInBundle.length,
  };
}

export interface EvalReport {
  dir: string;
  provider: Provider;
  documents: DocResult[];
  skipped: Array<{ file: string; reason: string }>;
  byField: Record<string, Counts>;
  total: Counts;
  ms: number;
}

interface TruthFile {
  file: string;
  docPath: string;
  truth: DocTruth;
}

/** Documents of `dir` that have a `<file>.truth.json` in the corpus-truth/v1 format. */
export function listDocuments(dir: string, only?: string): { docs: TruthFile[]; skipped: Array<{ file: string; reason: string }> } {
  const docs: TruthFile[] = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.truth.json')) continue;
    const file = name.slice(0, -'.truth.json'.length);
    if (only && !file.includes(only)) continue;
    const docPath = path.join(dir, file);
    if (!fs.existsSync(docPath)) {
      skipped.push({ file, reason: 'truth without its document' });
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    } catch {
      skipped.push({ file, reason: 'truth file is not JSON' });
      continue;
    }
    if ((raw as { schema?: unknown } | null)?.schema !== 'corpus-truth/v1') {
      skipped.push({ file, reason: 'truth file is not corpus-truth/v1' });
      continue;
    }
    docs.push({ file, docPath, truth: mapTruth(raw) });
  }
  return { docs, skipped };
}

// ---------------------------------------------------------------------------------------------------
// Pages

/** A page as stored by the pipeline (stores/jobs.ts pages row), enough for the extractor and the evidence check. */
interface StoredPage extends EvidencePage {
  source: 'text_layer' | 'ocr';
  /** OCR pages: the words with their pixel boxes, and the image's size (stores/jobs.ts ocrPageWords). */
  boxes?: { words: unknown; width: number; height: number };
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

let ocrSettingsKey: string | null = null;
/** The OCR settings and the OCR code's own hash: a cached page is reused only while all of them are the same. */
function ocrSettings(lang: string): string {
  if (ocrSettingsKey) return ocrSettingsKey;
  const require = createRequire(import.meta.url);
  const tesseract = (require('tesseract.js/package.json') as { version: string }).version;
  const code = createHash('sha256');
  const files = [
    ...['library/ocr', 'library/image', 'library/document'].flatMap((d) =>
      fs
        .readdirSync(path.join(REPO_ROOT, d))
        .sort()
        .map((f) => path.join(d, f)),
    ),
    'library/pdf/render.ts',
    'library/pdf/content.ts',
    'library/pdf/text-layer.ts',
  ];
  for (const f of files) {
    const p = path.join(REPO_ROOT, f);
    if (fs.statSync(p).isFile()) code.update(f).update(fs.readFileSync(p));
  }
  ocrSettingsKey = sha256(JSON.stringify({ cacheFormat: 2, lang, LANG_DATA_VARIANT, PAGE_SEG_MODE, OCR_DPI, tesseract, code: code.digest('hex') })).slice(
    0,
    16,
  );
  return ocrSettingsKey;
}

interface OcrCacheFile {
  file: string;
  pages: Record<string, StoredPage & { width: number; height: number }>;
}

function readCache(p: string | null): OcrCacheFile['pages'] {
  if (!p || !fs.existsSync(p)) return {};
  try {
    return (JSON.parse(fs.readFileSync(p, 'utf8')) as OcrCacheFile).pages ?? {};
  } catch {
    return {}; // a damaged cache file is read again from the document
  }
}

function writeCache(p: string | null, file: string, pages: OcrCacheFile['pages']): void {
  if (!p) return;
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ file, pages } satisfies OcrCacheFile));
  fs.renameSync(tmp, p);
}

/** Whether any page of the document needs OCR (without doing it). */
export async function needsOcr(bytes: Uint8Array, maxPages: number): Promise<boolean> {
  const info = await inspectDocument(bytes, { maxPages, textlessPages: 'defer' });
  return info.pages.some((p) => p.needsOcr);
}

async function readPages(
  file: string,
  bytes: Uint8Array,
  opts: { maxPages: number; lang: string; cacheDir: string | null; pool: () => Promise<OcrPool> },
): Promise<{ pages: StoredPage[]; ocrPages: number; ocrCached: number; readMs: number; ocrMs: number }> {
  let started = performance.now();
  const info = await inspectDocument(bytes, { maxPages: opts.maxPages, textlessPages: 'defer' });
  const pages: StoredPage[] = info.pages
    .filter((p) => !p.needsOcr)
    .map((p) => ({ page: p.page, text: p.text, source: 'text_layer', ocrConfidence: null, words: null }));
  const todo = info.pages.filter((p) => p.needsOcr).map((p) => p.page);
  const readMs = performance.now() - started;
  started = performance.now();
  let ocrCached = 0;
  if (todo.length > 0) {
    const cachePath = opts.cacheDir ? path.join(opts.cacheDir, 'ocr', `${sha256(bytes)}-${ocrSettings(opts.lang)}.json`) : null;
    const cached = readCache(cachePath);
    const missing = todo.filter((n) => !cached[String(n)]);
    ocrCached = todo.length - missing.length;
    if (missing.length > 0) {
      const engine = await opts.pool();
      const pending: Array<Promise<void>> = [];
      for await (const input of documentPagesForOcr(bytes, missing, { dpi: OCR_DPI })) {
        const pageNo = input.pageNo;
        if (input.kind === 'no-ocr') {
          cached[String(pageNo)] = {
            page: pageNo,
            text: input.text,
            source: 'text_layer',
            ocrConfidence: null,
            words: null,
            width: input.widthPt,
            height: input.heightPt,
          };
          continue;
        }
        // Pages are recognised concurrently: the pool's size bounds how many run at once.
        pending.push(
          engine.recognize(input.image, input.origin === 'render' ? {} : { dpi: input.dpi }).then((r) => {
            cached[String(pageNo)] = {
              page: pageNo,
              text: r.text,
              source: 'ocr',
              ocrConfidence: r.confidence,
              words: r.words.map((w) => ({ text: w.text, confidence: w.confidence })),
              boxes: { words: r.words, width: input.width, height: input.height },
              width: input.width,
              height: input.height,
            };
          }),
        );
      }
      await Promise.all(pending);
      writeCache(cachePath, file, cached);
    }
    for (const n of todo) {
      const c = cached[String(n)];
      if (c)
        pages.push({ page: c.page, text: c.text, source: c.source, ocrConfidence: c.ocrConfidence, words: c.words, ...(c.boxes ? { boxes: c.boxes } : {}) });
    }
  }
  pages.sort((a, b) => a.page - b.page);
  return { pages, ocrPages: todo.length, ocrCached, readMs, ocrMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------------
// Extraction

async function extract(
  pages: StoredPage[],
  provider: Provider,
  chunkChars: number,
  openai: () => LlmConfig,
  deid: DateMode | undefined,
): Promise<{ extraction: Extraction; tokens?: { in: number; out: number }; deid?: DeidCounts }> {
  const texts: PageText[] = pages.map((p) => ({ page: p.page, text: p.text }));
  const ocrPageWords = pages.flatMap((p) => (p.boxes ? [{ page: p.page, ...p.boxes }] : []));
  const parts: Extraction[] = [];
  let tokensIn = 0;
  let tokensOut = 0;
  // As the llm activity does: one vault for the whole document, the identifier fields from the local extractor.
  const gateway =
    provider === 'openai' && deid
      ? new Gateway(
          prepareVault(texts, { dates: deid, local: extractOffline(texts, { layouts: ocrLayoutPages(ocrPageWords, new Set(texts.map((p) => p.page))) }) }),
        )
      : undefined;
  for (const chunk of chunkPages(texts, chunkChars)) {
    if (provider === 'openai') {
      const ask = async (sent: PageText[], how: Partial<GatewaySend> = {}) => {
        const r = await extractWithOpenAI(sent, openai(), how);
        tokensIn += r.tokensIn;
        tokensOut += r.tokensOut;
        return r.extraction;
      };
      const answer = gateway ? await extractThroughGateway(gateway, chunk, ask) : await ask(chunk);
      parts.push(parseExtraction({ schema_version: SCHEMA_VERSION, ...answer }));
    } else {
      const layouts = ocrLayoutPages(ocrPageWords, new Set(chunk.map((p) => p.page)));
      parts.push(parseExtraction(extractOffline(chunk, { layouts })));
    }
  }
  const extraction = verifyEvidence(mergeExtractions(parts), pages);
  if (provider !== 'openai') return { extraction };
  return { extraction, tokens: { in: tokensIn, out: tokensOut }, ...(gateway ? { deid: vaultCounts(gateway.vault) } : {}) };
}

// ---------------------------------------------------------------------------------------------------

export async function runEval(opts: EvalOptions = {}): Promise<EvalReport> {
  const started = performance.now();
  const dir = path.resolve(REPO_ROOT, opts.dir ?? DEFAULT_DIR);
  const provider = opts.provider ?? 'offline';
  const cfg = config('cli');
  const cacheDir = opts.cacheDir === undefined ? DEFAULT_CACHE : opts.cacheDir;
  const { docs, skipped } = listDocuments(dir, opts.only);
  const openaiConfig = (): LlmConfig => {
    if (opts.openai) return opts.openai;
    const { apiKey, baseURL, model, timeoutMs, responseFormat } = cfg.extraction;
    if (!apiKey) throw new EvalSetupError('--provider openai needs OPENAI_API_KEY (and OPENAI_BASE_URL / OPENAI_MODEL for another server or model)');
    return { apiKey, baseURL, model, timeoutMs, responseFormat };
  };
  if (provider === 'openai') openaiConfig(); // a missing key is said once, before any document is read
  let pool: OcrPool | null = null;
  const getPool = async (): Promise<OcrPool> => (pool ??= await getOcrPool(cfg.ocrLang, { size: cfg.ocrWorkers, nice: cfg.ocrNice }));
  const results: Array<DocResult | undefined> = [];
  try {
    const processOne = async (doc: TruthFile, at: number): Promise<void> => {
      const bytes = new Uint8Array(fs.readFileSync(doc.docPath));
      try {
        if (opts.noOcr && (await needsOcr(bytes, cfg.maxPages))) {
          skipped.push({ file: doc.file, reason: 'needs OCR (--no-ocr)' });
          return;
        }
        const read = await readPages(doc.file, bytes, { maxPages: cfg.maxPages, lang: cfg.ocrLang, cacheDir, pool: getPool });
        const t0 = performance.now();
        const { extraction, tokens, deid } = await extract(read.pages, provider, opts.chunkChars ?? DEFAULT_CHUNK_CHARS, openaiConfig, opts.deid);
        const extractMs = performance.now() - t0;
        const result: DocResult = {
          file: doc.file,
          pages: read.pages.length,
          ocrPages: read.ocrPages,
          ocrCached: read.ocrCached,
          ms: { read: Math.round(read.readMs), ocr: Math.round(read.ocrMs), extract: Math.round(extractMs) },
          score: scoreDocument(doc.truth, toView(extraction)),
          truthUnscored: doc.truth.unscored,
          fhir: await fhirFigures(doc.file, bytes, read.pages.length, extraction),
          ...(tokens ? { tokens } : {}),
          ...(deid ? { deid } : {}),
          extraction,
        };
        results[at] = result;
        opts.onDocument?.(result);
      } catch (err) {
        // A document the pipeline refuses (or a provider failure) yields nothing: scored as an empty
        // extraction (every truth value missed), with the error reported beside it.
        const result: DocResult = {
          file: doc.file,
          pages: 0,
          ocrPages: 0,
          ocrCached: 0,
          ms: { read: 0, ocr: 0, extract: 0 },
          score: scoreDocument(doc.truth, toView(emptyExtraction())),
          truthUnscored: doc.truth.unscored,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        };
        results[at] = result;
        opts.onDocument?.(result);
      }
    };
    // Documents are read side by side, as many as the OCR pool has workers, so that single-page scans
    // keep every worker busy; results are reported in file order.
    let next = 0;
    const lanes = Array.from({ length: Math.max(1, Math.min(cfg.ocrWorkers, docs.length)) }, async () => {
      while (next < docs.length) {
        const at = next++;
        await processOne(docs[at] as TruthFile, at);
      }
    });
    await Promise.all(lanes);
  } finally {
    if (pool) await (pool as OcrPool).close();
  }
  const documents = results.filter((d): d is DocResult => d !== undefined);
  skipped.sort((a, b) => a.file.localeCompare(b.file));
  const { byField, total } = aggregate(documents.map((d) => d.score));
  return { dir, provider, documents, skipped, byField, total, ms: Math.round(performance.now() - started) };
}
