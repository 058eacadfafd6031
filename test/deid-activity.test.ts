/**
 * The llm activity with de-identification on, in Temporal's MockActivityEnvironment with an in-memory store
 * and the real OpenAI provider against the recording OpenAI-compatible server on loopback (which answers
 * by running the offline extractor over the text it receives): what reaches the server holds stand-ins,
 * never the document's identifiers; the stored part has the originals back (identifier fields from the
 * local extractor, quotes as printed); the vault is built once per document, its summary recorded by each
 * part and audited once; an identifier left in the text on purpose stops the request unsent with a non-retryable
 * DeidentificationFailed that names the category and not the value; with DEID off the text goes as it is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createLlmActivities } from '../activities/llm.js';
import type { LlmStore } from '../activities/dependencies.js';
import type { Extraction } from '../core/contract/extraction.js';
import type { DeidSummary } from '../core/contract/deid.js';
import type { AuditRow } from '../stores/audit.js';
import type { Vault } from '../library/deid/index.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { extractWithOpenAI } from '../library/extraction/openai-provider.js';
import { offlineResponder } from './support/llm-responder.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';

const PAGE_1 = [
  'NORTHGATE CLINICAL LABORATORY',
  '41 Kestrel Avenue, Dunmore, OH 44011    Tel (330) 555-0142',
  '',
  'Patient: OKONKWO-BRANDT, ADAEZE    DOB: 07/22/1958    MRN: 30418852',
  'Collected: 03/02/2025 07:45    Ordering physician: Dr. Tobias Lindqvist',
  '',
  'Test                Result   Units    Reference Range   Flag',
  'Glucose             142      mg/dL    70-99             H',
  'Creatinine          0.9      mg/dL    0.6-1.2',
  'Hemoglobin A1c      7.4      %        4.0-5.6           H',
].join('\n');
const PAGE_2 = [
  'Comments: Ms Okonkwo-Brandt was advised to repeat fasting glucose in 3 months.',
  'Results reviewed by Dr. Lindqvist on March 4, 2025. Questions: lab@northgate-example.org',
].join('\n');
const PAGES = [
  { page: 1, text: PAGE_1 },
  { page: 2, text: PAGE_2 },
];
const IDENTIFIERS = [
  'OKONKWO-BRANDT',
  'Okonkwo-Brandt',
  'ADAEZE',
  'Lindqvist',
  'Tobias',
  '07/22/1958',
  '30418852',
  '03/02/2025',
  'March 4, 2025',
  '(330) 555-0142',
  '41 Kestrel Avenue',
  'lab@northgate-example.org',
  '44011',
];

function memoryStore() {
  const parts = new Map<number, { result: Extraction; tokensIn: number; tokensOut: number }>();
  let vault: Vault | undefined;
  const summaries: DeidSummary[] = [];
  const audits: AuditRow[] = [];
  const store: LlmStore = {
    addStageTime: async () => undefined,
    pageTexts: async () => PAGES,
    ocrPageWords: async () => [],
    findPartTokens: async (_job, partNo) => parts.get(partNo),
    savePart: async (_job, partNo, _pages, part) => void parts.set(partNo, part),
    loadVault: async () => vault,
    keepVault: async (_job, v) => {
      const first = vault === undefined;
      vault ??= structuredClone(v) as Vault;
      return { vault, first };
    },
    recordDeidentified: async (_job, s) => void summaries.push(s),
    appendAudit: async (row) => void audits.push(row),
  };
  return { store, parts, summaries, audits, vault: () => vault };
}

const sentText = (server: OpenAIServer): string =>
  server.requests
    .flatMap((r) => (r.body?.messages ?? []).filter((m: { role: string }) => m.role !== 'system').map((m: { content: string }) => m.content))
    .join('\n');

describe('the llm activity through the de-identification gateway', () => {
  let server: OpenAIServer;
  before(async () => {
    server = await startOpenAIServer({ respond: offlineResponder });
  });
  after(async () => server.close());

  const activities = (s: ReturnType<typeof memoryStore>, deid: boolean, deidOptions?: Parameters<typeof createLlmActivities>[0]['deidOptions']) =>
    createLlmActivities({
      cfg: {
        openai: { apiKey: 'sk-test-local', baseURL: server.url, model: 'gpt-test', timeoutMs: 30_000 },
        llmRate: { requestsPerMinute: 10_000, scope: 'test' },
        deid: { enabled: deid, dates: 'shift' },
      },
      store: s.store,
      extractors: { offline: extractOffline, openai: extractWithOpenAI },
      takeSendSlot: async () => 0,
      ...(deidOptions ? { deidOptions } : {}),
    });

  test('the server sees stand-ins only; the stored part has the originals back', async () => {
    server.requests.length = 0;
    const s = memoryStore();
    const env = new MockActivityEnvironment();
    // Two parts (one page each): one vault, one numbering of stand-ins for both.
    await env.run(activities(s, true).extractPart, { jobId: 'job-1', partNo: 0, provider: 'openai' as const, chunkChars: 600 });
    await env.run(activities(s, true).extractPart, { jobId: 'job-1', partNo: 1, provider: 'openai' as const, chunkChars: 600 });
    assert.equal(server.requests.length, 2);
    const sent = sentText(server);
    for (const id of IDENTIFIERS) assert.ok(!sent.includes(id), `an identifier reached the server: ${id}`);
    for (const clinical of ['Glucose', '142', 'mg/dL', '70-99', 'Hemoglobin A1c', '7.4', '4.0-5.6', 'fasting glucose']) {
      assert.ok(sent.includes(clinical), `clinical text kept: ${clinical}`);
    }
    assert.match(sent, /\[\[PERSON_\d+\]\]/);
    // The same person has the same stand-in on both pages.
    const patientToken = /Patient: (\[\[PERSON_\d+\]\])/.exec(sent)?.[1];
    assert.ok(patientToken && sent.split(patientToken).length > 2, 'the patient has one stand-in in both parts');

    const part0 = s.parts.get(0)!.result;
    assert.equal(part0.patient.name.value, 'OKONKWO-BRANDT, ADAEZE', 'the name comes from the local extractor');
    assert.equal(part0.patient.mrn.value, '30418852');
    assert.equal(part0.patient.date_of_birth.value, '1958-07-22');
    const glucose = part0.lab_results.find((l) => l.test === 'Glucose');
    assert.equal(glucose?.value, 142);
    assert.equal(glucose?.collected_at?.slice(0, 10), '2025-03-02', 'the shifted collection date is moved back');
    const blanks = (t: string) => t.replace(/\s+/g, ' ');
    for (const item of part0.lab_results) assert.ok(blanks(PAGE_1).includes(blanks(item.evidence!.quote)), `quote as printed: ${item.evidence!.quote}`);
    const attending = part0.encounter.attending.value ?? part0.document.author.value;
    assert.ok(!attending || !/\[\[/.test(attending), `no stand-in left in a value: ${attending}`);

    assert.equal(s.summaries.length, 2, 'each part records the de-identification (the same summary)');
    assert.deepEqual(s.summaries[1], s.summaries[0]);
    assert.equal(s.summaries[0]!.dates, 'shift');
    assert.ok((s.summaries[0]!.counts.PERSON ?? 0) >= 2 && (s.summaries[0]!.counts.MRN ?? 0) === 1, JSON.stringify(s.summaries[0]));
    assert.equal(s.audits.length, 1, 'one audit entry per document');
    assert.equal(s.audits[0]!.action, 'job.deidentified');
    const detail = JSON.stringify(s.audits[0]!.detail);
    for (const id of IDENTIFIERS) assert.ok(!detail.includes(id), 'the audit entry holds counts only');
  });

  test('an identifier left in the text on purpose is caught before sending: DeidentificationFailed, nothing sent', async () => {
    server.requests.length = 0;
    const s = memoryStore();
    const env = new MockActivityEnvironment();
    const run = env.run(activities(s, true, { leaveInText: (e) => e.category === 'MRN' }).extractPart, {
      jobId: 'job-2',
      partNo: 0,
      provider: 'openai' as const,
      chunkChars: 600,
    });
    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'DeidentificationFailed');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /medical record number/);
      assert.ok(!err.message.includes('30418852'), 'the message names the category, never the value');
      return true;
    });
    assert.equal(server.requests.length, 0, 'the request was not sent');
    assert.equal(s.parts.size, 0);
  });

  test('with DEID off the text goes as it is', async () => {
    server.requests.length = 0;
    const s = memoryStore();
    await new MockActivityEnvironment().run(activities(s, false).extractPart, { jobId: 'job-3', partNo: 0, provider: 'openai' as const, chunkChars: 600 });
    assert.ok(sentText(server).includes('30418852'));
    assert.equal(s.vault(), undefined);
    assert.equal(s.summaries.length, 0);
  });
});
