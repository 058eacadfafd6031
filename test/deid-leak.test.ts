/**
 * The leak suite: documents of four kinds with identifiers of every Safe Harbor category planted in many
 * formats (test/support/deid-plant.ts, written apart from the detector) go through the gateway and the real
 * OpenAI provider to the recording OpenAI-compatible server on loopback. It fails on any planted identifier
 * that reaches the server, and prints recall per category and the share of clinical strings that arrive
 * intact (codes, doses, lab values, ranges, drug and test names).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PHI_CATEGORIES } from '../core/contract/deid.js';
import { plantedDocuments } from './support/deid-plant.js';
import { leakTable, measureLeaks } from './support/deid-leaks.js';
import { offlineResponder } from './support/llm-responder.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';

describe('the leak suite: planted identifiers never reach the LLM server', () => {
  let server: OpenAIServer;
  before(async () => {
    server = await startOpenAIServer({ respond: offlineResponder });
  });
  after(async () => server.close());

  for (const [seed, dates] of [
    [9101, 'shift'],
    [9202, 'token'],
  ] as const) {
    test(`40 generated documents (seed ${seed}), dates ${dates === 'shift' ? 'shifted' : 'tokenised'}`, async () => {
      const docs = plantedDocuments(seed, 40);
      const f = await measureLeaks(server, docs, dates);
      console.log(`leak suite, seed ${seed}, dates ${dates}:\n${leakTable(f)}`);
      for (const c of PHI_CATEGORIES) assert.ok(f.byCategory.has(c) || c === 'NHS' || c === 'CARD', `the generator planted no ${c}`);
      const leaked = [...f.byCategory.values()].flatMap((x) => x.leaked);
      assert.deepEqual(leaked, [], 'planted identifiers reached the server');
      assert.ok(f.clinical.kept / f.clinical.total >= 0.97, `clinical strings lost: ${f.clinical.lost.slice(0, 30).join('; ')}`);
    });
  }
});
