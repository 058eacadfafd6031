/**
 * Measures the de-identification gateway on planted documents (test/support/deid-plant.ts): each document
 * goes through the gateway and the real OpenAI provider to a recording OpenAI-compatible server; a planted
 * identifier "reached" the server when its printed form is in any non-system message. Used by
 * test/deid-leak.test.ts and bench/.
 */
import { PHI_CATEGORIES, type PhiCategory } from '../../core/contract/deid.js';
import { extractThroughGateway, Gateway, prepareVault } from '../../library/deid/index.js';
import { extractOffline } from '../../library/extraction/offline/index.js';
import { extractWithOpenAI } from '../../library/extraction/openai-provider.js';
import { chunkPages } from '../../library/extraction/chunk.js';
import type { PlantedDocument } from './deid-plant.js';
import type { OpenAIServer } from './openai-server.js';

/** What reached the server for one document: every non-system message of every request. */
export async function sendThroughGateway(server: OpenAIServer, doc: PlantedDocument, dates: 'shift' | 'token'): Promise<string> {
  const from = server.requests.length;
  const gateway = new Gateway(prepareVault(doc.pages, { dates, local: extractOffline(doc.pages) }));
  for (const chunk of chunkPages(doc.pages, 24_000)) {
    await extractThroughGateway(
      gateway,
      chunk,
      async (pages, how) => (await extractWithOpenAI(pages, { apiKey: 'sk-test', baseURL: server.url, model: 'gpt-test' }, how)).extraction,
    );
  }
  return server.requests
    .slice(from)
    .flatMap((r) => (r.body?.messages ?? []).filter((m: { role: string }) => m.role !== 'system').map((m: { content: string }) => m.content))
    .join('\n');
}

/** Is a planted value in the outgoing text? As printed, with its blanks loosened (layout may respace a line). */
export function reached(value: string, sent: string): boolean {
  const pattern = value
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
  // A month and year inside a full date ("12 June 2026") is that date, not the month-year printed elsewhere.
  const monthYear = /^(?:[A-Za-z]+\.?[\s,-]+\d{4}|\d{1,2}[-/.]\d{4})$/.test(value.trim())
    ? String.raw`(?<!\d{1,2}(?:st|nd|rd|th)?[\s,-]+(?:of\s+)?)(?<!\d[-/.])`
    : '';
  return new RegExp(`(?<![\\p{L}\\p{N}])${monthYear}${pattern}(?![\\p{L}\\p{N}])`, 'u').test(sent);
}

export interface LeakFigures {
  documents: number;
  byCategory: Map<PhiCategory, { planted: number; caught: number; leaked: string[] }>;
  clinical: { total: number; kept: number; lost: string[] };
}

export async function measureLeaks(server: OpenAIServer, docs: readonly PlantedDocument[], dates: 'shift' | 'token'): Promise<LeakFigures> {
  const byCategory = new Map<PhiCategory, { planted: number; caught: number; leaked: string[] }>();
  const clinical = { total: 0, kept: 0, lost: [] as string[] };
  for (const doc of docs) {
    const sent = await sendThroughGateway(server, doc, dates);
    for (const p of doc.planted) {
      const c = byCategory.get(p.category) ?? { planted: 0, caught: 0, leaked: [] };
      byCategory.set(p.category, c);
      c.planted++;
      if (reached(p.value, sent)) c.leaked.push(`${doc.id}: ${p.value}`);
      else c.caught++;
    }
    for (const s of doc.clinical) {
      clinical.total++;
      if (sent.includes(s)) clinical.kept++;
      else clinical.lost.push(`${doc.id}: ${s}`);
    }
  }
  return { documents: docs.length, byCategory, clinical };
}

export function leakTable(f: LeakFigures): string {
  const rows = PHI_CATEGORIES.filter((c) => f.byCategory.has(c)).map((c) => {
    const x = f.byCategory.get(c)!;
    return `| ${c} | ${x.planted} | ${x.caught} | ${(x.caught / x.planted).toFixed(3)} |`;
  });
  const all = [...f.byCategory.values()].reduce((a, x) => ({ planted: a.planted + x.planted, caught: a.caught + x.caught }), { planted: 0, caught: 0 });
  return [
    `${f.documents} documents`,
    '| category | planted mentions | replaced | recall |',
    '|---|---|---|---|',
    ...rows,
    `| all | ${all.planted} | ${all.caught} | ${(all.caught / all.planted).toFixed(3)} |`,
    `clinical strings intact: ${f.clinical.kept}/${f.clinical.total} (${((100 * f.clinical.kept) / Math.max(1, f.clinical.total)).toFixed(1)} %)`,
  ].join('\n');
}
