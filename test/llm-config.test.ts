/** LLM_RESPONSE_FORMAT: validated at start-up like the other variables, and what it selects. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, LLM_RESPONSE_FORMATS, loadConfig } from '../core/config.js';
import { RESPONSE_FORMATS } from '../library/extraction/openai-provider.js';

test('LLM_RESPONSE_FORMAT defaults to json_schema, takes json_object or none, and refuses anything else with one clear line', () => {
  assert.equal(loadConfig({}).extraction.responseFormat, 'json_schema');
  assert.equal(loadConfig({ LLM_RESPONSE_FORMAT: '' }).extraction.responseFormat, 'json_schema', 'empty counts as unset');
  assert.equal(loadConfig({ LLM_RESPONSE_FORMAT: 'json_object' }).extraction.responseFormat, 'json_object');
  assert.equal(loadConfig({ LLM_RESPONSE_FORMAT: ' none ' }).extraction.responseFormat, 'none');
  assert.throws(
    () => loadConfig({ LLM_RESPONSE_FORMAT: 'xml' }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 1 &&
      err.problems[0] === 'LLM_RESPONSE_FORMAT must be one of json_schema, json_object, none (got "xml")',
  );
  // The configuration's values are the provider's.
  assert.deepEqual([...LLM_RESPONSE_FORMATS], [...RESPONSE_FORMATS]);
});
