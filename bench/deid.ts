/**
 * 9. De-identification: what the gateway in front of an external LLM costs (library/deid). Per text-layer
 * document of the corpus, the CPU time of each local step of a digital document on the openai path: reading
 * the text layer (inspectDocument), de-identification (the vault: detection and the local extractor's
 * identifier fields; replacing; the fail-closed scan of the message; restoring the answer), and verification
 * plus the workbook; then the same per page over generated documents full of identifiers
 * (test/support/deid-plant.ts). The model's answer is the offline extractor run over the de-identified text,
 * as the tests' responder does (its time is not counted). No server, no network.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseExtraction, SCHEMA_VERSION, type PageText } from '../core/contract/extraction.js';
import { inspectDocument } from '../library/document/index.js';
import { Gateway, loadNameDictionary, prepareVault, withLocalIdentifiers } from '../library/deid/index.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { buildUserMessage } from '../library/extraction/openai-provider.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { plantedDocuments } from '../test/support/deid-plant.js';
import type { BenchContext } from './lib/context.js';
import { CORPUS } from './lib/stack.js';
import { fmt, type Report } from './lib/util.js';

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** CPU ms of the gateway for one document: vault, replacing, the outgoing check, restoring. */
function deidCpu(pages: PageText[]): { ms: number; answer: ReturnType<typeof extractOffline> } {
  let t = process.cpuUsage();
  const gateway = new Gateway(prepareVault(pages, { dates: 'shift', local: extractOffline(pages) }));
  const sent = gateway.deidentify(pages);
  const message = buildUserMessage(sent);
  if (gateway.findLeaks(message).length > 0) throw new Error('the gateway left an identifier in its own output');
  let ms = cpuMs(t);
  const { schema_version: _v, ...model } = extractOffline(sent); // the model's time: not counted
  t = process.cpuUsage();
  const restored = withLocalIdentifiers(gateway.restore(model, pages, gateway.tokensIn(message)).answer, gateway.vault);
  ms += cpuMs(t);
  return { ms, answer: parseExtraction({ schema_version: SCHEMA_VERSION, ...restored }) };
}

export async function deid(ctx: BenchContext): Promise<Report> {
  let t = process.cpuUsage();
  loadNameDictionary();
  const warmMs = cpuMs(t);
  // One document first, so that compiling the detector's patterns is not charged to the first measured one.
  deidCpu(plantedDocuments(1, 1)[0]!.pages);
  const dir = path.join(CORPUS, 'medical');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pdf'))
    .sort();
  const rows: string[][] = [];
  const sum = { pages: 0, read: 0, deid: 0, rest: 0 };
  for (const f of files) {
    ctx.progress(`deid: ${f}`);
    t = process.cpuUsage();
    let pages: PageText[];
    try {
      const info = await inspectDocument(new Uint8Array(fs.readFileSync(path.join(dir, f))), { maxPages: 500, textlessPages: 'defer' });
      pages = info.pages.filter((p) => !p.needsOcr && p.text.trim() !== '').map((p) => ({ page: p.page, text: p.text }));
    } catch {
      continue; // password-protected or unreadable
    }
    if (pages.length === 0) continue; // a scan: OCR dominates it, measured by the OCR benchmarks
    const read = cpuMs(t);
    const { ms, answer } = deidCpu(pages);
    t = process.cpuUsage();
    const verified = verifyEvidence(
      answer,
      pages.map((p) => ({ ...p, source: 'text_layer' as const, ocrConfidence: null, words: null })),
    );
    await buildWorkbook({
      jobId: 'bench',
      filename: f,
      pageCount: pages.length,
      provider: 'openai',
      extractedAt: new Date(),
      extraction: verified,
      schemaVersion: SCHEMA_VERSION,
      warnings: [],
      needsReview: false,
    });
    const rest = cpuMs(t);
    sum.pages += pages.length;
    sum.read += read;
    sum.deid += ms;
    sum.rest += rest;
    rows.push([f, String(pages.length), fmt(read, 1), fmt(ms, 1), fmt(rest, 1), fmt(ms / pages.length, 1), `${fmt((100 * ms) / (read + ms + rest), 0)} %`]);
  }
  rows.push([
    'all',
    String(sum.pages),
    fmt(sum.read, 0),
    fmt(sum.deid, 0),
    fmt(sum.rest, 0),
    fmt(sum.deid / Math.max(1, sum.pages), 1),
    `${fmt((100 * sum.deid) / Math.max(1, sum.read + sum.deid + sum.rest), 0)} %`,
  ]);

  // Generated documents dense with identifiers of every category.
  const docs = plantedDocuments(4711, ctx.quick ? 12 : 40);
  let generatedMs = 0;
  let generatedPages = 0;
  for (const d of docs) {
    generatedMs += deidCpu(d.pages).ms;
    generatedPages += d.pages.length;
  }
  return {
    name: 'deid',
    title: '9. De-identification before the LLM (library/deid)',
    header: [
      `CPU ms per step of a digital document on the openai path (the model's own time excluded); name dictionaries loaded once at worker start: ${fmt(warmMs, 0)} ms`,
    ],
    columns: ['document', 'pages', 'read text layer', 'de-identify + restore', 'verify + workbook', 'de-id per page', 'de-id share'],
    rows,
    extra: [
      {
        columns: ['generated documents (identifiers of every category)', 'pages', 'de-id CPU ms', 'per page'],
        rows: [[`${docs.length} documents, seed 4711`, String(generatedPages), fmt(generatedMs, 0), fmt(generatedMs / Math.max(1, generatedPages), 1)]],
      },
    ],
    notes: [
      'de-identify + restore: the vault (detection, the local extractor for the identifier fields), replacing, the fail-closed scan of the outgoing message, restoring the answer and locating its quotes',
      'the share is of the local CPU of the document; the LLM request itself (seconds) is not counted',
    ],
    data: { pages: sum.pages, deidMs: sum.deid, readMs: sum.read, restMs: sum.rest, generatedPages, generatedMs, warmMs },
  };
}
