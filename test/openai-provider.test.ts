import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  DEFAULT_TIMEOUT_MS,
  RESPONSE_FORMAT_NAME,
  buildUserMessage,
  estimateTokens,
  extractWithOpenAI,
  parseRetryAfter,
  requestJsonSchema,
  type LlmConfig,
} from '../library/extraction/openai-provider.js';
import { PipelineError } from '../core/errors.js';
import { parseModelExtraction, type PageText } from '../core/contract/extraction.js';
import {
  countPromptTokens,
  countTokens,
  emptyExtractionBody,
  maxInAnyWindow,
  startOpenAIServer,
  type ChatRequest,
  type OpenAIServer,
} from './support/openai-server.js';
import { pagesFromPrompt } from './support/llm-responder.js';

const API_KEY = 'sk-test-0123456789';
const PATIENT = 'Jane Q Roe';

const pages: PageText[] = [
  { page: 1, text: `St. Elsewhere   Hospital\r\nPatient:\t${PATIENT}      DOB: 1961-04-02\n\n\nMRN: 00123  ` },
  { page: 2, text: 'Hemoglobin    13.2   g/dL    12.0-16.0\nWBC   14,200   /uL   4,000-11,000   H' },
];

/** A full, schema-valid answer the fake model gives for `pages`. */
function sampleExtraction() {
  const body = emptyExtractionBody() as any;
  body.document.type = { evidence: null, value: 'lab_report', confidence: 0.7 };
  body.patient.name = { evidence: { page: 1, quote: `Patient: ${PATIENT} DOB: 1961-04-02` }, value: PATIENT, confidence: 0.95 };
  body.patient.date_of_birth = { evidence: { page: 1, quote: `Patient: ${PATIENT} DOB: 1961-04-02` }, value: '1961-04-02', confidence: 0.9 };
  body.lab_results = [
    {
      evidence: { page: 2, quote: 'Hemoglobin 13.2 g/dL 12.0-16.0' },
      panel: null,
      panel_loinc: null,
      loinc: null,
      test: 'Hemoglobin',
      value: 13.2,
      unit: 'g/dL',
      reference_range: '12.0-16.0',
      flag: null,
      specimen: null,
      collected_at: null,
      confidence: 0.9,
    },
    {
      evidence: { page: 2, quote: 'WBC 14,200 /uL 4,000-11,000 H' },
      panel: null,
      panel_loinc: null,
      loinc: null,
      test: 'WBC',
      value: 14200,
      unit: '/uL',
      reference_range: '4,000-11,000',
      flag: 'H',
      specimen: null,
      collected_at: null,
      confidence: 0.85,
    },
  ];
  return body;
}

function cfg(server: OpenAIServer, extra: Partial<LlmConfig> = {}): LlmConfig {
  return { apiKey: API_KEY, baseURL: server.url, model: 'gpt-test-extract', timeoutMs: 10_000, ...extra };
}

/** Runs the call, expects a PipelineError, and checks that no document text leaked into its message. */
async function expectFailure(p: Promise<unknown>, type: PipelineError['type']): Promise<PipelineError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PipelineError, `expected a PipelineError, got ${String(caught)}`);
  assert.equal(caught.type, type, `type (message: ${caught.message})`);
  for (const secret of [PATIENT, 'Hemoglobin', 'Elsewhere', API_KEY]) {
    assert.ok(!caught.message.includes(secret), `error message leaks "${secret}": ${caught.message}`);
  }
  return caught;
}

describe('extractWithOpenAI against the OpenAI-compatible test server', () => {
  let server: OpenAIServer;
  let answer: () => unknown = sampleExtraction;

  before(async () => {
    server = await startOpenAIServer({ respond: () => answer(), apiKey: API_KEY });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.clearFaults();
    answer = sampleExtraction;
    server.setLatency(0);
  });

  test('a normal call returns the parsed extraction, token counts and model; the request is strict json_schema with page markers', async () => {
    const out = await extractWithOpenAI(pages, cfg(server));
    assert.deepEqual(out.extraction, parseModelExtraction(sampleExtraction()));
    assert.equal(out.model, 'gpt-test-extract');
    assert.equal(out.requests, 1);

    assert.equal(server.requests.length, 1);
    const req = server.requests[0]!;
    assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
    const body = req.body as ChatRequest & { temperature?: number };
    assert.equal(body.model, 'gpt-test-extract');
    assert.equal(body.temperature, 0);
    assert.deepEqual(body.response_format, {
      type: 'json_schema',
      json_schema: { name: RESPONSE_FORMAT_NAME, strict: true, schema: requestJsonSchema() },
    });
    assert.deepEqual(
      body.messages.map((m) => m.role),
      ['system', 'user'],
    );
    const system = body.messages[0]!.content;
    assert.match(system, /medical data extractor/);
    assert.match(system, /null/);
    assert.match(system, /ISO-8601/);
    assert.match(system, /verbatim/);
    // The layout survives: column gaps as a two-space gap (longer runs and tabs collapsed to it), one blank
    // line for a run of them, trailing blanks dropped.
    const user = body.messages[1]!.content;
    assert.equal(
      user,
      [
        '=== Page 1 ===',
        'St. Elsewhere  Hospital',
        `Patient:  ${PATIENT}  DOB: 1961-04-02`,
        '',
        'MRN: 00123',
        '=== Page 2 ===',
        'Hemoglobin  13.2  g/dL  12.0-16.0',
        'WBC  14,200  /uL  4,000-11,000  H',
      ].join('\n'),
    );

    // Token counts are the ones the server reported in `usage`.
    assert.equal(out.tokensIn, countPromptTokens(body.messages));
    assert.equal(out.tokensOut, countTokens(JSON.stringify(sampleExtraction())));
  });

  test('pages are sent in page order, and blank pages are left out', async () => {
    await extractWithOpenAI(
      [
        { page: 3, text: 'third' },
        { page: 2, text: ' \n\t ' },
        { page: 1, text: 'first' },
      ],
      cfg(server),
    );
    assert.equal(server.requests[0]!.body.messages[1].content, '=== Page 1 ===\nfirst\n=== Page 3 ===\nthird');
  });

  test('a document with no text yields an empty extraction without calling the provider', async () => {
    const out = await extractWithOpenAI([{ page: 1, text: '   \n ' }], cfg(server));
    assert.equal(server.requests.length, 0);
    assert.deepEqual(out.extraction, emptyExtractionBody());
    assert.equal(out.requests, 0);
    assert.equal(out.tokensIn, 0);
    assert.equal(out.tokensOut, 0);
  });

  test('the default respond of the test server is a valid (empty) extraction', async () => {
    const plain = await startOpenAIServer();
    try {
      const out = await extractWithOpenAI(pages, cfg(plain));
      assert.deepEqual(out.extraction, emptyExtractionBody());
    } finally {
      await plain.close();
    }
  });

  test('confidences are clamped to [0, 1] and a model-supplied evidence.found is dropped', async () => {
    answer = () => {
      const a = sampleExtraction();
      a.lab_results[0].confidence = 1.7;
      a.lab_results[1].confidence = -0.2;
      a.lab_results[0].evidence.found = true;
      return a;
    };
    const out = await extractWithOpenAI(pages, cfg(server));
    assert.equal(out.extraction.lab_results[0]!.confidence, 1);
    assert.equal(out.extraction.lab_results[1]!.confidence, 0);
    assert.equal('found' in out.extraction.lab_results[0]!.evidence, false);
  });

  test('429 with Retry-After: 7 → RateLimited (retryable) with retryAfterSeconds 7, after exactly one request', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 7 });
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'RateLimited');
    assert.equal(err.retryAfterSeconds, 7);
    assert.equal(err.retryable, true);
    assert.ok(err.cause, 'keeps the cause');
    assert.equal(server.requests.length, 1);
  });

  test('429 honours retry-after-ms and an HTTP-date Retry-After', async () => {
    server.inject({ kind: '429', headers: { 'retry-after-ms': '2500', 'retry-after': '9' } });
    const ms = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'RateLimited');
    assert.equal(ms.retryAfterSeconds, 2.5);

    const at = new Date(Date.now() + 60_000).toUTCString();
    server.inject({ kind: '429', headers: { 'retry-after': at } });
    const date = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'RateLimited');
    assert.ok(date.retryAfterSeconds !== undefined && date.retryAfterSeconds > 30 && date.retryAfterSeconds <= 61, String(date.retryAfterSeconds));

    server.inject({ kind: '429' });
    const none = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'RateLimited');
    assert.equal(none.retryAfterSeconds, undefined);
    assert.equal(server.requests.length, 3);
  });

  test('429 insufficient_quota is not a rate limit: ExtractionFailed', async () => {
    server.inject({ kind: 'status', status: 429, code: 'insufficient_quota', type: 'insufficient_quota', message: 'You exceeded your current quota' });
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ExtractionFailed');
    assert.match(err.message, /quota/);
    assert.equal(err.retryable, false);
  });

  test('500 → ProviderUnavailable (retryable), one request', async () => {
    server.inject({ kind: '500' });
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ProviderUnavailable');
    assert.equal(err.retryable, true);
    assert.equal(server.requests.length, 1);
  });

  test('503 and a dropped connection → ProviderUnavailable', async () => {
    server.inject({ kind: 'status', status: 503 }, { kind: 'drop' });
    await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ProviderUnavailable');
    await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ProviderUnavailable');
    assert.equal(server.requests.length, 2);
  });

  test('content that is not JSON gets one repair request, and the repaired answer is used', async () => {
    server.inject({ kind: 'invalid-json' });
    const out = await extractWithOpenAI(pages, cfg(server));
    assert.deepEqual(out.extraction, parseModelExtraction(sampleExtraction()));
    assert.equal(server.requests.length, 2);
    assert.equal(out.requests, 2);
    // Both answers' tokens count: the broken one was paid for too.
    const [first, second] = server.requests.map((r) => r.body as ChatRequest);
    assert.equal(out.tokensIn, countPromptTokens(first!.messages) + countPromptTokens(second!.messages));
    const repair = second!.messages;
    assert.deepEqual(
      repair.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(repair[1]!.content, first!.messages[1]!.content, 'the document is sent as before');
    assert.match(repair[3]!.content, /\(root\): the answer holds no JSON object/);
  });

  test('not JSON twice → retryable ProviderUnavailable "the model returned malformed output" after exactly two requests', async () => {
    server.inject({ kind: 'invalid-json' }, { kind: 'invalid-json' });
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ProviderUnavailable');
    assert.equal(err.message, 'the model returned malformed output');
    assert.equal(err.retryable, true);
    assert.ok(err.cause instanceof Error);
    assert.ok(!err.cause.message.includes('Sure'), 'the cause names no part of the answer');
    assert.equal(server.requests.length, 2);
  });

  test('onRequestOutcome hears each request once: ok with its tokens, 429, error', async () => {
    const heard: Array<[string, { in: number; out: number } | undefined]> = [];
    const onRequestOutcome = (outcome: string, tokens?: { in: number; out: number }) => heard.push([outcome, tokens]);
    const ok = await extractWithOpenAI(pages, cfg(server), { onRequestOutcome });
    server.inject({ kind: '429' }, { kind: '500' }, { kind: 'invalid-json' }, { kind: 'invalid-json' });
    for (let i = 0; i < 3; i++) await assert.rejects(extractWithOpenAI(pages, cfg(server), { onRequestOutcome }), PipelineError);
    await extractWithOpenAI([{ page: 1, text: ' ' }], cfg(server), { onRequestOutcome }); // nothing sent, nothing heard
    assert.deepEqual(heard, [
      ['ok', { in: ok.tokensIn, out: ok.tokensOut }],
      ['429', undefined],
      ['error', undefined],
      ['error', undefined], // not JSON
      ['error', undefined], // its repair: not JSON either
    ]);
  });

  test('a refusal → ExtractionFailed (not retryable)', async () => {
    server.inject({ kind: 'refusal' });
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ExtractionFailed');
    assert.match(err.message, /declined/);
    assert.equal(err.retryable, false);
  });

  test('an invalid API key → 401 → ExtractionFailed with a message a person understands', async () => {
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server, { apiKey: 'sk-wrong' })), 'ExtractionFailed');
    assert.match(err.message, /rejected the API key/);
    assert.ok(!err.message.includes('sk-wrong'));
    assert.equal(err.retryable, false);
    assert.ok(err.cause, 'keeps the cause');
    assert.equal(server.requests.length, 1);
  });

  test('a missing API key → ExtractionFailed before any request', async () => {
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server, { apiKey: '' })), 'ExtractionFailed');
    assert.match(err.message, /API key/);
    assert.equal(server.requests.length, 0);
  });

  test('400, 403 and 404 → ExtractionFailed with plain messages, never the provider text', async () => {
    server.inject(
      { kind: 'status', status: 400, message: `Invalid input near "${PATIENT}"` },
      { kind: 'status', status: 403 },
      { kind: 'status', status: 404, code: 'model_not_found' },
    );
    const e400 = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ExtractionFailed');
    assert.match(e400.message, /rejected the request/);
    assert.match(e400.message, /LLM_RESPONSE_FORMAT=json_object or none/, 'names the setting for servers without strict schemas');
    const e403 = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ExtractionFailed');
    assert.match(e403.message, /refused access/);
    const e404 = await expectFailure(extractWithOpenAI(pages, cfg(server)), 'ExtractionFailed');
    assert.match(e404.message, /does not know model "gpt-test-extract"/);
    assert.equal(server.requests.length, 3);
  });

  test('an answer cut off at the output limit (finish_reason length) splits the chunk: each page asked for, the answers merged', async () => {
    server.inject({ kind: 'length' });
    answer = () => sampleExtraction();
    const signed = pages.map((p) => ({ ...p, text: `${p.text}\nReviewed and signed electronically by the laboratory director on the date of the report.` }));
    const out = await extractWithOpenAI(signed, cfg(server));
    assert.equal(server.requests.length, 3, 'the whole chunk, then each half');
    assert.deepEqual(
      server.requests.slice(1).map((r) => pagesFromPrompt(r.body as ChatRequest).map((p) => p.page)),
      [[1], [2]],
    );
    // The same answer twice (once per half) is merged into one of each value.
    assert.deepEqual(out.extraction, parseModelExtraction(sampleExtraction()));
    assert.equal(out.requests, 3);
  });

  test('a one-line chunk cut off at the output limit cannot be split: ExtractionFailed (not retryable)', async () => {
    server.inject({ kind: 'length' });
    const err = await expectFailure(extractWithOpenAI([{ page: 1, text: 'WBC  14,200' }], cfg(server)), 'ExtractionFailed');
    assert.match(err.message, /cut off at its output limit/);
    assert.equal(err.retryable, false);
    assert.equal(server.requests.length, 1);
  });

  test('context_length_exceeded on a chunk that cannot be cut (one line) → ExtractionFailed, too long', async () => {
    server.inject({ kind: 'status', status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens." });
    const err = await expectFailure(extractWithOpenAI([{ page: 1, text: 'WBC' }], cfg(server)), 'ExtractionFailed');
    assert.match(err.message, /too long for the model's context window/);
    assert.equal(err.retryable, false);
    assert.equal(server.requests.length, 1);
  });

  test('a response slower than timeoutMs → ProviderUnavailable, one request', async () => {
    server.inject({ kind: 'slow', ms: 30_000 });
    const err = await expectFailure(extractWithOpenAI(pages, cfg(server, { timeoutMs: 300 })), 'ProviderUnavailable');
    assert.match(err.message, /did not answer within/);
    assert.equal(server.requests.length, 1);
  });

  test('a slow server within timeoutMs still succeeds (latency is not a failure)', async () => {
    server.setLatency(50);
    const out = await extractWithOpenAI(pages, cfg(server));
    assert.equal(out.extraction.lab_results.length, 2);
  });

  test("the caller's abort signal cancels the request with the caller's reason", async () => {
    server.inject({ kind: 'slow', ms: 30_000 });
    const ac = new AbortController();
    const reason = new Error('activity cancelled');
    const p = extractWithOpenAI(pages, cfg(server), { signal: ac.signal });
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort(reason);
    await assert.rejects(p, (err) => err === reason);
  });

  test('maxRequestsInAnyWindow counts requests in a sliding window', async () => {
    await Promise.all([1, 2, 3].map(() => extractWithOpenAI(pages, cfg(server))));
    assert.equal(server.requests.length, 3);
    assert.equal(server.maxRequestsInAnyWindow(3_600_000), 3);
    const n = server.maxRequestsInAnyWindow(1);
    assert.ok(n >= 1 && n <= 3, String(n));
    assert.throws(() => server.maxRequestsInAnyWindow(0), RangeError);
  });
});

describe('maxInAnyWindow', () => {
  test('counts the busiest half-open window [t, t + w)', () => {
    assert.equal(maxInAnyWindow([], 1000), 0);
    assert.equal(maxInAnyWindow([5], 1000), 1);
    // [100, 1100) holds 100, 200, 1000, 1050.
    assert.equal(maxInAnyWindow([1050, 0, 200, 1000, 100], 1000), 4);
    // Exactly one window apart: never together.
    assert.equal(maxInAnyWindow([0, 1000, 2000, 3000], 1000), 1);
    assert.equal(maxInAnyWindow([0, 999, 1998], 1000), 2);
    assert.equal(maxInAnyWindow([7, 7, 7], 1), 3);
  });
});

describe('test server protocol', () => {
  let server: OpenAIServer;
  before(async () => {
    server = await startOpenAIServer({ model: 'gpt-listed' });
  });
  after(async () => {
    await server.close();
  });

  test('no Authorization → 401 in OpenAI error shape', async () => {
    const res = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { message: string; type: string; param: unknown; code: unknown } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(typeof body.error.message, 'string');
    assert.ok('param' in body.error && 'code' in body.error);
  });

  test('a chat completion is protocol-faithful', async () => {
    const res = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, 'm');
    assert.equal(typeof body.id, 'string');
    assert.equal(typeof body.created, 'number');
    assert.deepEqual(body.choices[0].message, { role: 'assistant', content: JSON.stringify(emptyExtractionBody()), refusal: null });
    assert.equal(body.choices[0].finish_reason, 'stop');
    assert.equal(body.choices[0].logprobs, null);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
    assert.ok(body.usage.prompt_tokens > 0 && body.usage.completion_tokens > 0);
  });

  test('GET /v1/models lists the model; unknown routes answer 404 in OpenAI error shape', async () => {
    const models = await fetch(`${server.url}/models`, { headers: { authorization: 'Bearer k' } });
    assert.equal(models.status, 200);
    const list = (await models.json()) as { object: string; data: Array<{ id: string; object: string }> };
    assert.equal(list.object, 'list');
    assert.deepEqual(
      list.data.map((m) => [m.id, m.object]),
      [['gpt-listed', 'model']],
    );

    const missing = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{}' });
    assert.equal(missing.status, 404);
    const err = (await missing.json()) as { error: { message: string; type: string } };
    assert.match(err.error.message, /Invalid URL/);
    assert.equal(err.error.type, 'invalid_request_error');
  });
});

describe('helpers', () => {
  test('estimateTokens is about four characters per token', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens('x'.repeat(4000)), 1000);
  });

  test('parseRetryAfter reads seconds, milliseconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '7' }), now), 7);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '1500' }), now), 1.5);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now), 30);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now), 0);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(new Headers(), now), undefined);
  });

  test('buildUserMessage keeps column gaps (collapsed to two spaces), one blank line of a run, and marks pages', () => {
    assert.equal(buildUserMessage([{ page: 4, text: 'a  \t b\n\n\nc d \n\n' }]), '=== Page 4 ===\na  b\n\nc d');
    assert.equal(buildUserMessage([{ page: 1, text: ' x\n    indented' }]), '=== Page 1 ===\nx\n  indented');
    assert.equal(DEFAULT_TIMEOUT_MS, 120_000);
  });
});
