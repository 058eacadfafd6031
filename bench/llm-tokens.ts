/**
 * 8. LLM tokens: what the model is sent. Per text-layer document of the corpus: pages, characters and tokens of
 * the user message (the page text as the provider lays it out for the model: column gaps kept, padding dropped)
 * and tokens per page; then the fixed cost every request pays whatever the document, per response format: the
 * system prompt and the answer's shape (the strict JSON Schema for json_schema, which the provider sends with
 * the descriptions the system prompt already gives left out; the compact schema inside the prompt for
 * json_object and none), against the contract's schema as it stands. Tokens are counted as the provider counts
 * them when a server sends no usage (o200k_base via gpt-tokenizer when installed, else ≈ 4 characters per token).
 * No server, no network: a measurement of the prompt, not of a model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { modelResponseJsonSchema, type PageText } from '../core/contract/extraction.js';
import { inspectDocument } from '../library/document/index.js';
import {
  buildUserMessage,
  compactPageText,
  compactSchema,
  loadTokenCounter,
  requestJsonSchema,
  SYSTEM_PROMPT,
  systemPrompt,
} from '../library/extraction/openai-provider.js';
import type { BenchContext } from './lib/context.js';
import { CORPUS } from './lib/stack.js';
import { fmt, fmtInt, type Report } from './lib/util.js';

/** The page text as the provider sent it before the layout was kept (runs of blanks collapsed to one space, blank lines dropped). */
function collapsedLayout(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

export async function llmTokens(ctx: BenchContext): Promise<Report> {
  const { count, name: tokenizer } = await loadTokenCounter();
  const dir = path.join(CORPUS, 'medical');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pdf'))
    .sort();
  const rows: string[][] = [];
  let allPages = 0;
  let allTokens = 0;
  let allCollapsed = 0;
  const perDoc: Array<Record<string, unknown>> = [];
  for (const f of files) {
    ctx.progress(`llm-tokens: ${f}`);
    let pages: PageText[];
    try {
      const info = await inspectDocument(new Uint8Array(fs.readFileSync(path.join(dir, f))), { maxPages: 500, textlessPages: 'defer' });
      pages = info.pages.filter((p) => !p.needsOcr && p.text.trim() !== '').map((p) => ({ page: p.page, text: p.text }));
    } catch {
      continue; // password-protected or unreadable: not a text-layer document
    }
    if (pages.length === 0) continue; // a scan: its text comes from OCR, measured by the OCR benchmarks
    const message = buildUserMessage(pages);
    const tokens = count(message);
    const collapsed = count(
      pages
        .map((p) => `=== Page ${p.page} ===\n${collapsedLayout(p.text)}`)
        .filter(Boolean)
        .join('\n'),
    );
    const raw = count(pages.map((p) => p.text).join('\n'));
    allPages += pages.length;
    allTokens += tokens;
    allCollapsed += collapsed;
    rows.push([
      f,
      String(pages.length),
      fmtInt(message.length),
      fmtInt(raw),
      fmtInt(collapsed),
      fmtInt(tokens),
      fmt(tokens / pages.length, 0),
      `${fmt((tokens / collapsed - 1) * 100, 1)} %`,
    ]);
    perDoc.push({
      file: f,
      pages: pages.length,
      chars: message.length,
      rawTokens: raw,
      collapsedTokens: collapsed,
      tokens,
      tokensPerPage: tokens / pages.length,
    });
  }
  rows.push([
    'all',
    String(allPages),
    '',
    '',
    fmtInt(allCollapsed),
    fmtInt(allTokens),
    fmt(allTokens / Math.max(1, allPages), 0),
    `${fmt((allTokens / Math.max(1, allCollapsed) - 1) * 100, 1)} %`,
  ]);

  // The fixed cost of every request.
  const contractSchema = JSON.stringify(modelResponseJsonSchema());
  const sentSchema = JSON.stringify(requestJsonSchema());
  const compact = compactSchema();
  const compactTokens = count(compact);
  const fixed = [
    {
      format: 'json_schema (contract schema as is)',
      prompt: count(SYSTEM_PROMPT),
      shape: count(contractSchema),
      chars: SYSTEM_PROMPT.length + contractSchema.length,
    },
    { format: 'json_schema (as sent)', prompt: count(SYSTEM_PROMPT), shape: count(sentSchema), chars: SYSTEM_PROMPT.length + sentSchema.length },
    {
      format: 'json_object / none (schema in the prompt)',
      prompt: count(SYSTEM_PROMPT),
      shape: count(systemPrompt('none')) - count(SYSTEM_PROMPT),
      chars: systemPrompt('none').length,
    },
  ];
  const fixedRows = fixed.map((x) => [x.format, fmtInt(x.prompt), fmtInt(x.shape), fmtInt(x.prompt + x.shape), fmtInt(x.chars)]);

  // Where the schema's tokens go: descriptions, and the per-field boilerplate (evidence, confidence).
  const descriptions = new Map<string, number>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n)) {
      if (k === 'description' && typeof v === 'string') descriptions.set(v, (descriptions.get(v) ?? 0) + 1);
      else walk(v);
    }
  };
  walk(modelResponseJsonSchema());
  const descriptionTokens = [...descriptions].reduce((n, [d, times]) => n + times * (count(JSON.stringify(d)) + 2), 0);
  const top = [...descriptions].sort((a, b) => b[1] * count(b[0]) - a[1] * count(a[0])).slice(0, 3);
  const gapExample = compactPageText('Hemoglobin      13.2   g/dL     12.0-16.0   \n\n\n');

  return {
    name: 'llm-tokens',
    title: '8. LLM tokens: tokens per page of the corpus text-layer documents, and the fixed cost of every request',
    header: [
      `tokenizer: ${tokenizer === 'o200k_base' ? 'o200k_base (gpt-tokenizer), as the provider counts when a server sends no usage' : 'estimate, ≈ 4 characters per token (gpt-tokenizer not installed)'}`,
      `documents: ${path.join(CORPUS, 'medical')}/*.pdf with a text layer (scans are left out: their text comes from OCR)`,
      'raw: the stored page text; collapsed: the layout as sent before (runs of blanks → one space, blank lines dropped);',
      `sent: the layout kept (column gaps as two spaces, e.g. ${JSON.stringify(gapExample)}), with the page markers`,
    ],
    columns: ['document', 'pages', 'chars sent', 'raw tokens', 'collapsed', 'sent tokens', 'tokens/page', 'layout cost'],
    rows,
    extra: [{ columns: ['fixed cost per request', 'system prompt', 'answer shape', 'total tokens', 'chars'], rows: fixedRows }],
    notes: [
      `the contract schema's descriptions: ${descriptions.size} distinct, ${[...descriptions.values()].reduce((a, b) => a + b, 0)} in all, ≈ ${fmtInt(descriptionTokens)} tokens;` +
        ` the most costly: ${top.map(([d, n]) => `"${d}" ×${n}`).join(', ')}`,
      'the provider leaves out of the schema it sends the descriptions of confidence, page and quote (the system prompt gives them once)',
    ],
    data: {
      tokenizer,
      compactSchemaTokens: compactTokens,
      documents: perDoc,
      pages: allPages,
      tokens: allTokens,
      collapsedTokens: allCollapsed,
      fixed,
      descriptionTokens,
    },
  };
}
