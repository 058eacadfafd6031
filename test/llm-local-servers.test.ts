/**
 * The LLM path against servers that behave like local OpenAI-compatible ones (vLLM, llama.cpp server, Ollama),
 * end to end through the provider and the loopback test server: no `usage` field, the schema ignored and the
 * JSON wrapped in prose, a json_schema response_format refused, a 4,096-token context that cuts answers off
 * (finish_reason length) or refuses a prompt that does not fit (llama.cpp's exceed_context_size_error), the
 * repair request, the value-in-quote check applied to model output, and the schema order (quote before value).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  compactSchema,
  countMessageTokens,
  countTokens,
  extractWithOpenAI,
  findJson,
  loadTokenCounter,
  MAX_SPLIT_DEPTH,
  requestJsonSchema,
  SCHEMA_IN_PROMPT_INTRO,
  systemPrompt,
  type LlmConfig,
  type ResponseFormat,
} from '../library/extraction/openai-provider.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { inspectDocument } from '../library/document/index.js';
import { PipelineError } from '../core/errors.js';
import {
  modelResponseJsonSchema,
  parseModelExtraction,
  SCHEMA_VERSION,
  STRICT_SCHEMA_KEYWORDS,
  type Extraction,
  type PageText,
} from '../core/contract/extraction.js';
import { emptyExtractionBody, startOpenAIServer, type ChatRequest, type OpenAIServer } from './support/openai-server.js';
import { offlineResponder, pagesFromPrompt } from './support/llm-responder.js';

const API_KEY = 'sk-local-0123456789';
const CONTEXT = 4096;

function cfg(server: OpenAIServer, responseFormat: ResponseFormat = 'json_schema', extra: Partial<LlmConfig> = {}): LlmConfig {
  return { apiKey: API_KEY, baseURL: server.url, model: 'local-model', timeoutMs: 10_000, responseFormat, ...extra };
}

/** A lab table of `n` rows under a header, as the text layer writes it (two-space column gaps). */
function labTable(n: number, from = 1): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return `Analyte ${String(k).padStart(3, '0')}  ${(k * 1.5).toFixed(1)}  mg/dL  ${k}-${k + 10}`;
  });
  return ['Test  Result  Units  Reference Range', ...rows].join('\n');
}

const ROW = /^(Analyte \d{3}) {2}(\d+(?:\.\d+)?) {2}(\S+) {2}(\S+)$/gm;

/** A model that reads every lab row of the prompt's pages, its quote (the row) first. */
function rowsResponder(req: ChatRequest): unknown {
  const body = emptyExtractionBody() as { lab_results: unknown[] };
  for (const p of pagesFromPrompt(req)) {
    for (const m of p.text.matchAll(ROW)) {
      body.lab_results.push({
        evidence: { page: p.page, quote: m[0] },
        panel: null,
        panel_loinc: null,
        loinc: null,
        test: m[1],
        value: Number(m[2]),
        unit: m[3],
        reference_range: m[4],
        flag: null,
        specimen: null,
        collected_at: null,
        confidence: 0.9,
      });
    }
  }
  return body;
}

const testsOf = (x: { lab_results: Array<{ test: string }> }) => x.lab_results.map((l) => l.test);
const expectedTests = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `Analyte ${String(from + i).padStart(3, '0')}`);

async function rejection(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PipelineError, `expected a PipelineError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('the LLM path against local-server behaviour', () => {
  let server: OpenAIServer;
  let respond: (req: ChatRequest) => unknown = rowsResponder;

  before(async () => {
    server = await startOpenAIServer({ respond: (req) => respond(req), apiKey: API_KEY });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.clearFaults();
    server.setLocal({});
    respond = rowsResponder;
  });

  test('no usage field: prompt and answer tokens are counted locally, so accounting and rate limiting keep working', async () => {
    server.setLocal({ usage: false });
    const heard: Array<{ in: number; out: number } | undefined> = [];
    const out = await extractWithOpenAI([{ page: 1, text: labTable(3) }], cfg(server), { onRequestOutcome: (_o, t) => heard.push(t) });
    assert.deepEqual(testsOf(out.extraction), expectedTests(3));
    const sent = (server.requests[0]!.body as ChatRequest).messages;
    assert.equal(out.tokensIn, await countMessageTokens(sent));
    const answer = JSON.stringify(rowsResponder({ model: 'm', messages: sent }));
    assert.equal(out.tokensOut, await countTokens(answer));
    assert.ok(out.tokensIn > 100 && out.tokensOut > 50, `${out.tokensIn} in, ${out.tokensOut} out`);
    assert.deepEqual(heard, [{ in: out.tokensIn, out: out.tokensOut }]);
    // The counter is a real tokenizer when the package is installed, the documented estimate otherwise.
    assert.ok(['o200k_base', 'estimate'].includes((await loadTokenCounter()).name));
  });

  test('LLM_RESPONSE_FORMAT=none on a server that ignores the schema and wraps the JSON in prose and a ```json fence', async () => {
    server.setLocal({ schema: 'ignored', usage: false });
    const out = await extractWithOpenAI([{ page: 1, text: labTable(4) }], cfg(server, 'none'));
    assert.deepEqual(testsOf(out.extraction), expectedTests(4));
    const body = server.requests[0]!.body as ChatRequest;
    assert.equal(body.response_format, undefined, 'no response_format is sent');
    const system = body.messages[0]!.content;
    assert.ok(system.includes(SCHEMA_IN_PROMPT_INTRO) && system.includes(compactSchema()), 'the prompt carries the schema');
    assert.equal(server.requests.length, 1, 'prose around the JSON needs no repair');
  });

  test('json_schema and json_object answers wrapped in prose are read too (lenient parsing whatever the format)', async () => {
    server.setLocal({ schema: 'ignored' });
    for (const format of ['json_schema', 'json_object'] as const) {
      const out = await extractWithOpenAI([{ page: 2, text: labTable(2) }], cfg(server, format));
      assert.deepEqual(testsOf(out.extraction), expectedTests(2));
    }
  });

  test('a server that refuses json_schema: the failure names LLM_RESPONSE_FORMAT, and json_object works against it', async () => {
    server.setLocal({ schema: 'rejected' });
    const err = await rejection(extractWithOpenAI([{ page: 1, text: labTable(2) }], cfg(server)));
    assert.equal(err.type, 'ExtractionFailed');
    assert.match(err.message, /LLM_RESPONSE_FORMAT=json_object or none/);
    const out = await extractWithOpenAI([{ page: 1, text: labTable(2) }], cfg(server, 'json_object'));
    assert.deepEqual(testsOf(out.extraction), expectedTests(2));
    const body = server.requests.at(-1)!.body as ChatRequest;
    assert.deepEqual(body.response_format, { type: 'json_object' });
    assert.ok(body.messages[0]!.content.includes(compactSchema()));
  });

  test('an answer cut off at a 4,096-token context (finish_reason length) splits the chunk and retries the halves; nothing lost or doubled', async () => {
    server.setLocal({ contextTokens: CONTEXT, usage: false });
    const pages: PageText[] = [{ page: 1, text: `LABORATORY REPORT\n${labTable(100)}` }];
    const extra: number[] = [];
    const out = await extractWithOpenAI(pages, cfg(server), { beforeExtraRequest: async () => void extra.push(server.requests.length) });
    assert.deepEqual(testsOf(out.extraction), expectedTests(100), 'every row once, in order');
    assert.ok(server.requests.length >= 3, `${server.requests.length} requests`);
    assert.equal(out.requests, server.requests.length);
    // Every request after the first was announced to the caller (for its rate window) before it was sent.
    assert.deepEqual(
      extra,
      Array.from({ length: server.requests.length - 1 }, (_, i) => i + 1),
    );
    // Each half is a whole table: it starts with the header row, and no row is cut.
    for (const r of server.requests.slice(1)) {
      const text = pagesFromPrompt(r.body as ChatRequest)
        .map((p) => p.text)
        .join('\n');
      assert.ok(text.includes('Test  Result  Units  Reference Range'), 'the header row goes with every part of the table');
      for (const line of text.split('\n')) assert.ok(line === '' || pages[0]!.text.split('\n').includes(line), 'only whole lines of the page');
    }
    // Tokens of every request count, the cut-off one too.
    let tokensIn = 0;
    for (const r of server.requests) tokensIn += await countMessageTokens((r.body as ChatRequest).messages);
    assert.equal(out.tokensIn, tokensIn);
  });

  test('a prompt beyond the context (llama.cpp 400 exceed_context_size_error) is split and each part asked for', async () => {
    server.setLocal({ contextTokens: CONTEXT });
    const narrative = Array.from({ length: 120 }, (_, i) => `Progress note line ${i}: the patient was seen on the ward and is comfortable today.`).join('\n');
    const pages: PageText[] = [
      { page: 1, text: `${narrative}\n${labTable(3)}` },
      { page: 2, text: `${narrative}\n${labTable(3, 4)}` },
      { page: 3, text: `${narrative}\n${labTable(3, 7)}` },
    ];
    const out = await extractWithOpenAI(pages, cfg(server));
    assert.deepEqual(testsOf(out.extraction), expectedTests(9));
    assert.ok(server.requests.length >= 3);
    assert.deepEqual(
      out.extraction.lab_results.map((l) => l.evidence.page),
      [1, 1, 1, 2, 2, 2, 3, 3, 3],
      'each value keeps its page',
    );
  });

  test('an answer that never fits fails the document only after bounded halvings, with a plain message', async () => {
    server.setLocal({ contextTokens: CONTEXT });
    respond = () => ({ ...emptyExtractionBody(), padding: 'x'.repeat(CONTEXT * 8) });
    const err = await rejection(extractWithOpenAI([{ page: 1, text: labTable(40) }], cfg(server)));
    assert.equal(err.type, 'ExtractionFailed');
    assert.match(err.message, /cut off at its output limit/);
    // The first part that is still cut off after MAX_SPLIT_DEPTH halvings fails the call: no request is wasted on the rest.
    assert.equal(server.requests.length, MAX_SPLIT_DEPTH + 1);
  });

  test('the value-in-quote check applies to model output: a value its quote does not hold comes back with value_not_in_quote', async () => {
    const pages: PageText[] = [{ page: 1, text: labTable(2) }];
    respond = (req) => {
      const body = rowsResponder(req) as { lab_results: Array<{ value: number }>; patient: Record<string, unknown> };
      body.lab_results[1]!.value = 99.9; // misread: the row says 3.0
      body.patient.name = { evidence: { page: 1, quote: 'Analyte 001  1.5  mg/dL  1-11' }, value: 'Jane Roe', confidence: 0.9 };
      return body;
    };
    const out = await extractWithOpenAI(pages, cfg(server));
    const checked = verifyEvidence({ schema_version: SCHEMA_VERSION, ...out.extraction } as Extraction, pages);
    const [first, second] = checked.lab_results;
    assert.equal(first!.evidence.found, true);
    assert.ok(!(first!.reasons ?? []).includes('value_not_in_quote'), 'a value its quote holds is not flagged');
    assert.equal(second!.evidence.found, true, 'the quote itself is on the page');
    assert.ok((second!.reasons ?? []).includes('value_not_in_quote'), `reasons: ${String(second!.reasons)}`);
    assert.ok(second!.confidence < 0.9, 'and its confidence is lowered');
    assert.ok((checked.patient.name.reasons ?? []).includes('value_not_in_quote'));
  });

  test('a corpus document end to end through a llama.cpp-like server: no usage, prose-wrapped JSON, 4,096-token context, format none', async () => {
    const file = path.resolve('../shared/corpus/medical/healthfirst_lab_report_3p.pdf');
    const info = await inspectDocument(new Uint8Array(fs.readFileSync(file)), { maxPages: 50 });
    const pages: PageText[] = info.pages.filter((p) => !p.needsOcr).map((p) => ({ page: p.page, text: p.text }));
    assert.ok(pages.length > 0);
    respond = offlineResponder;
    server.setLocal({ usage: false, schema: 'ignored', contextTokens: CONTEXT });
    const out = await extractWithOpenAI(pages, cfg(server, 'none'));
    assert.ok(out.requests > 1, 'the context made the provider split the document');
    const checked = verifyEvidence({ schema_version: SCHEMA_VERSION, ...out.extraction } as Extraction, pages);
    assert.ok(checked.lab_results.length > 0, 'lab results come back');
    assert.ok(
      checked.lab_results.every((l) => l.evidence.found),
      'every quote is found on its page',
    );
    assert.ok(out.tokensIn > 0 && out.tokensOut > 0);
    // The same answer as one unlimited request would give: splitting loses nothing.
    server.setLocal({ usage: false, schema: 'ignored' });
    const whole = await extractWithOpenAI(pages, cfg(server, 'none'));
    assert.deepEqual(
      out.extraction.lab_results.map((l) => [l.test, l.value]),
      whole.extraction.lab_results.map((l) => [l.test, l.value]),
    );
  });
});

describe('reading and asking', () => {
  test('findJson reads bare JSON, a ```json fence, and the first balanced object in prose (braces inside strings ignored)', () => {
    assert.deepEqual(findJson(' {"a": 1} '), { a: 1 });
    assert.deepEqual(findJson('Sure!\n```json\n{"a": [1, 2]}\n```\nDone.'), { a: [1, 2] });
    assert.deepEqual(findJson('Here you go: {"q": "a } brace", "n": {"m": 2}} hope it helps {not json}'), { q: 'a } brace', n: { m: 2 } });
    assert.deepEqual(findJson('{broken} then {"ok": true}'), { ok: true });
    assert.equal(findJson('no json here'), undefined);
    assert.equal(findJson('{"cut": "off at the'), undefined);
  });

  test('the request schema is the contract with the descriptions the prompt already gives left out', () => {
    const dropDescriptions = (n: unknown): unknown =>
      Array.isArray(n)
        ? n.map(dropDescriptions)
        : n && typeof n === 'object'
          ? Object.fromEntries(
              Object.entries(n)
                .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
                .map(([k, v]) => [k, dropDescriptions(v)]),
            )
          : n;
    const sent = requestJsonSchema();
    const defs = sent.$defs as Record<string, unknown>;
    assert.ok(defs && Object.keys(defs).length > 0, 'repeated subtrees are defined once');
    const inline = (n: unknown): unknown => {
      if (Array.isArray(n)) return n.map(inline);
      if (!n || typeof n !== 'object') return n;
      const ref = (n as { $ref?: unknown }).$ref;
      if (typeof ref === 'string') return inline(defs[ref.replace('#/$defs/', '')]);
      return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, inline(v)]));
    };
    const { $defs: _defs, ...body } = sent;
    assert.deepEqual(dropDescriptions(inline(body)), dropDescriptions(modelResponseJsonSchema()), 'the same answers are valid');
    assert.ok(JSON.stringify(sent).length < JSON.stringify(modelResponseJsonSchema()).length * 0.7);
    // Strict Structured Outputs: every object closed with every property required, only accepted keywords.
    const check = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(check);
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!['properties', '$defs'].includes(k)) assert.ok(STRICT_SCHEMA_KEYWORDS.has(k), `keyword ${k}`);
      if (o.type === 'object') {
        assert.equal(o.additionalProperties, false);
        assert.deepEqual(o.required, Object.keys(o.properties as object));
      }
      for (const [k, v] of Object.entries(o)) {
        if (k === 'properties' || k === '$defs') Object.values(v as object).forEach(check);
        else check(v);
      }
    };
    check(sent);
    const system = systemPrompt('json_schema');
    for (const said of ['confidence is a number from 0 to 1', 'page is the number', 'quote is copied verbatim']) assert.ok(system.includes(said));
  });

  test('the compact schema names every key of the contract, evidence before value', () => {
    const compact = compactSchema();
    const keys = new Set<string>();
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) keys.add(k);
      Object.values(o).forEach(walk);
    };
    walk(modelResponseJsonSchema());
    for (const k of keys) assert.ok(compact.includes(`"${k}"`), `compact schema lacks "${k}"`);
    assert.match(compact, /^F<T> = \{"evidence": E\|null, "value": T\|null, "confidence": number\}$/m);
    assert.ok(compact.length < JSON.stringify(modelResponseJsonSchema()).length / 2);
  });

  test('schema order: in every field and every list item the evidence (the quote) comes before the value', () => {
    const problems: string[] = [];
    const walk = (n: unknown, at: string): void => {
      if (Array.isArray(n)) return n.forEach((x, i) => walk(x, `${at}/${i}`));
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object') {
        const names = Object.keys(o.properties);
        if (names.includes('evidence') && names.includes('confidence') && names.indexOf('evidence') !== 0) problems.push(`${at}: ${names.join(', ')}`);
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
    };
    walk(modelResponseJsonSchema(), '');
    walk(requestJsonSchema(), '');
    assert.deepEqual(problems, []);
    // And a model following the schema's order writes the quote first: what the validated answer keeps.
    const answer = parseModelExtraction(emptyExtractionBody());
    assert.deepEqual(Object.keys(answer.patient.name), ['evidence', 'value', 'confidence']);
  });
});
