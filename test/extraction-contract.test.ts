/**
 * The one extraction contract (core/contract/extraction.ts): the JSON Schema the OpenAI request carries is the
 * one derived from it and is acceptable to strict Structured Outputs; the validators accept schema v1 and refuse
 * anything else with the offending path; every provider's output (offline included) satisfies it.
 *   node --import tsx --test test/extraction-contract.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ExtractionDownloadSchema,
  ExtractionSchema,
  ExtractionShapeError,
  ModelExtractionSchema,
  STRICT_SCHEMA_KEYWORDS,
  emptyExtraction,
  modelResponseJsonSchema,
  parseExtraction,
  parseModelExtraction,
  parseStoredExtraction,
  storedSchemaVersion,
  type Extraction,
} from '../core/contract/extraction.js';
import { extractWithOpenAI, requestJsonSchema } from '../library/extraction/openai-provider.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { extractionToJson } from '../library/export/json.js';
import { readTextLayer } from '../library/pdf/text-layer.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { readCorpus } from './support/env.js';

type Json = { [key: string]: unknown };

/** A model answer with every section filled and every nullable value set: exactly the schema's keys. */
function fullModelAnswer() {
  const ev = (page: number, quote: string) => ({ page, quote });
  const f = <T>(value: T, quote: string) => ({ value, evidence: ev(1, quote), confidence: 0.9 });
  return {
    document: {
      type: f('discharge_summary', 'DISCHARGE SUMMARY'),
      date: f('2024-03-05', 'Date: 2024-03-05'),
      facility: f('St. Elsewhere', 'St. Elsewhere'),
      author: f('Dr. A. Smith', 'Dr. A. Smith'),
    },
    patient: {
      name: f('Jane Roe', 'Patient: Jane Roe'),
      date_of_birth: f('1961-04-02', 'DOB: 1961-04-02'),
      age: f('62', 'Age: 62'),
      sex: f('F', 'Sex: F'),
      mrn: f('00123', 'MRN: 00123'),
    },
    encounter: {
      admission_date: f('2024-03-01', 'Admitted: 2024-03-01'),
      discharge_date: f('2024-03-05', 'Discharged: 2024-03-05'),
      attending: f('Dr. A. Smith', 'Attending: Dr. A. Smith'),
      ward: f('4 West', 'Ward: 4 West'),
    },
    insurance: {
      payer: f('Acme Health', 'Acme Health'),
      member_id: f('XJ123456', 'Member ID XJ123456'),
      group_number: f('G-77', 'Group G-77'),
    },
    diagnoses: [{ description: 'Pneumonia', icd10: 'J18.9', status: 'active', evidence: ev(1, 'Pneumonia J18.9'), confidence: 0.8 }],
    medications: [
      {
        name: 'Amoxicillin',
        strength: '500 mg',
        form: null,
        instructions: null,
        duration: null,
        quantity: null,
        route: 'PO',
        frequency: 'TID',
        status: 'active',
        evidence: ev(2, 'Amoxicillin 500 mg PO TID'),
        confidence: 0.8,
      },
    ],
    lab_results: [
      {
        panel: 'Complete Blood Count',
        panel_loinc: '58410-2',
        loinc: '6690-2',
        specimen: null,
        test: 'WBC',
        value: 14200,
        unit: '/uL',
        reference_range: '4,000-11,000',
        flag: 'H',
        collected_at: '2024-03-04T08:30',
        evidence: ev(2, 'WBC 14,200 /uL'),
        confidence: 0.85,
      },
    ],
    vitals: [{ name: 'Temperature', value: '38.2', unit: 'C', taken_at: '2024-03-04', evidence: ev(1, 'Temp 38.2 C'), confidence: 0.7 }],
    procedures: [{ name: 'Chest X-ray', code: null, date: '2024-03-04', evidence: ev(1, 'Chest X-ray 2024-03-04'), confidence: 0.75 }],
    allergies: [{ substance: 'Penicillin', reaction: 'rash', severity: null, evidence: ev(1, 'Penicillin (rash)'), confidence: 0.95 }],
    immunizations: [{ vaccine: 'Tdap', date: '2023-10-01', lot: 'AB12C', evidence: ev(1, 'Tdap 2023-10-01 lot AB12C'), confidence: 0.8 }],
    claim_lines: [
      {
        service_date: '2024-03-04',
        code: '99213',
        modifier: '25',
        diagnosis_pointer: 'A',
        units: 1,
        charge: 125,
        evidence: ev(2, '03 04 24 99213 25 A 125.00 1'),
        confidence: 0.7,
      },
    ],
    claim_totals: { total_charge: f(125, 'Total charge $125.00'), amount_paid: f(0, 'Amount paid 0.00'), balance_due: f(125, 'Balance due 125.00') },
  };
}

function fullStoredExtraction(): Extraction {
  const x = { schema_version: 'v2' as const, ...structuredClone(fullModelAnswer()) };
  x.lab_results[0]!.evidence = { ...x.lab_results[0]!.evidence, found: true } as never;
  return x as Extraction;
}

/** Every rule of strict Structured Outputs the schema could break; returns where each one is broken. */
function strictModeViolations(schema: unknown): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      problems.push(`${at}: not a schema object`);
      return;
    }
    const s = node as Json;
    for (const key of Object.keys(s)) if (!STRICT_SCHEMA_KEYWORDS.has(key)) problems.push(`${at}: unsupported keyword "${key}"`);
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (s.anyOf === undefined && s.enum === undefined && s.const === undefined && s.$ref === undefined && s.type === undefined) {
      problems.push(`${at}: no type`);
    }
    if (types.includes('object')) {
      if (s.additionalProperties !== false) problems.push(`${at}: object not closed (additionalProperties must be false)`);
      const props = Object.keys((s.properties as Json | undefined) ?? {});
      const required = (s.required as string[] | undefined) ?? [];
      const missing = props.filter((p) => !required.includes(p));
      if (missing.length > 0) problems.push(`${at}: properties not required: ${missing.join(', ')}`);
      for (const r of required) if (!props.includes(r)) problems.push(`${at}: requires unknown property ${r}`);
    }
    for (const [k, v] of Object.entries((s.properties as Json | undefined) ?? {})) walk(v, `${at}/properties/${k}`);
    if (s.items !== undefined) walk(s.items, `${at}/items`);
    if (s.anyOf !== undefined) (s.anyOf as unknown[]).forEach((v, i) => walk(v, `${at}/anyOf/${i}`));
    if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) problems.push(`${at}: empty enum`);
  };
  const root = schema as Json;
  if (root.type !== 'object' || root.anyOf !== undefined) problems.push('/: the root must be an object, not a union');
  walk(schema, '');
  return problems;
}

/** The property names at every object level of a JSON Schema, as dotted paths (array items as `[]`). */
function schemaPaths(schema: Json, at = ''): string[] {
  const out: string[] = [];
  const branches = [schema, ...(((schema.anyOf as Json[] | undefined) ?? []) as Json[])];
  for (const b of branches) {
    for (const [k, v] of Object.entries((b.properties as Json | undefined) ?? {})) {
      const p = at ? `${at}.${k}` : k;
      out.push(p, ...schemaPaths(v as Json, p));
    }
    if (b.items) out.push(...schemaPaths(b.items as Json, `${at}[]`));
  }
  return out;
}

/** A schema with every `$ref` to its `$defs` written out in place (and `$defs` dropped). */
function inlineRefs(schema: Json): Json {
  const defs = (schema.$defs as Record<string, Json> | undefined) ?? {};
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as Json).$ref;
    if (typeof ref === 'string') return walk(defs[ref.replace('#/$defs/', '')]);
    return Object.fromEntries(
      Object.entries(node as Json)
        .filter(([k]) => k !== '$defs')
        .map(([k, v]) => [k, walk(v)]),
    );
  };
  return walk(schema) as Json;
}

/** The same for a value: the keys at every object level. */
function valuePaths(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuePaths(v, `${at}[]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = at ? `${at}.${k}` : k;
    return [p, ...valuePaths(v, p)];
  });
}

const uniqueSorted = (xs: string[]) => [...new Set(xs)].sort();

/** Expects `fn` to throw an ExtractionShapeError whose message names `path`. */
function refusedAt(fn: () => unknown, path: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ExtractionShapeError, `expected ExtractionShapeError, got ${String(err)}`);
    assert.ok(err.message.includes(`${path}:`), `message does not name ${path}: ${err.message}`);
    return true;
  });
}

describe('the JSON Schema sent to the model', () => {
  let server: OpenAIServer;
  before(async () => {
    server = await startOpenAIServer({ respond: () => fullModelAnswer() });
  });
  after(async () => {
    await server.close();
  });

  test('the OpenAI request carries the schema derived from the contract, strict', async () => {
    await extractWithOpenAI([{ page: 1, text: 'DISCHARGE SUMMARY' }], { apiKey: 'k', baseURL: server.url, model: 'm' });
    const format = server.requests[0]!.body.response_format;
    assert.equal(format.type, 'json_schema');
    assert.equal(format.json_schema.strict, true);
    // The schema sent is the contract's, written compactly (descriptions the prompt gives left out,
    // repeated subtrees as $defs): it passes the strict rules and names the same keys in the same order.
    const sent = format.json_schema.schema;
    assert.deepEqual(sent, requestJsonSchema());
    assert.deepEqual(strictModeViolations(sent), []);
    assert.deepEqual(schemaPaths(inlineRefs(sent)), schemaPaths(modelResponseJsonSchema()));
  });

  test('in every field and every item the evidence (the quote) comes first, so a model writes the quote before the value', () => {
    const orders: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      const props = (node as Json).properties as Json | undefined;
      if (props && 'evidence' in props) orders.push(Object.keys(props)[0]!);
      Object.values(node as Json).forEach(walk);
    };
    walk(modelResponseJsonSchema());
    assert.ok(orders.length >= 25, `fields and items found: ${orders.length}`);
    assert.deepEqual(new Set(orders), new Set(['evidence']));
  });

  test('it satisfies the strict Structured Outputs rules: objects closed, all properties required, supported keywords only', () => {
    assert.deepEqual(strictModeViolations(modelResponseJsonSchema()), []);
  });

  test('the rule check itself catches an open object, an optional property and an unsupported keyword', () => {
    const broken = modelResponseJsonSchema();
    const patient = (broken.properties as Json).patient as Json;
    delete patient.additionalProperties;
    (patient.required as string[]).pop();
    (broken.properties as Json).diagnoses = {
      type: 'array',
      items: { type: 'object', properties: {}, required: [], additionalProperties: false },
      uniqueItems: true,
    };
    const problems = strictModeViolations(broken);
    assert.ok(
      problems.some((p) => p.startsWith('/properties/patient: object not closed')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('/properties/patient: properties not required: mrn')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('unsupported keyword "uniqueItems"')),
      problems.join('\n'),
    );
  });

  test('nullable values are unions with null, and the evidence the model gives has no "found"', () => {
    const s = modelResponseJsonSchema() as any;
    assert.deepEqual(s.properties.patient.properties.mrn.properties.value, { type: ['string', 'null'], description: 'medical record number or patient id' });
    assert.deepEqual(s.properties.document.properties.type.properties.value.anyOf[1], { type: 'null' });
    assert.deepEqual(s.properties.document.properties.date.properties.evidence.anyOf[1], { type: 'null' });
    assert.deepEqual(Object.keys(s.properties.lab_results.items.properties.evidence.properties), ['page', 'quote']);
    assert.equal(s.properties.schema_version, undefined);
    assert.equal(s.properties.lab_results.items.properties.confidence.description, 'how sure you are, from 0 to 1');
  });

  test('a lab result asks for the LOINC code as printed, beside the test and the panel, and allows none', () => {
    const item = (modelResponseJsonSchema() as any).properties.lab_results.items;
    const keys = Object.keys(item.properties);
    assert.equal(keys.indexOf('loinc'), keys.indexOf('test') + 1);
    assert.equal(keys.indexOf('panel_loinc'), keys.indexOf('panel') + 1);
    for (const k of ['loinc', 'panel_loinc']) {
      assert.ok(item.required.includes(k), `${k} is required (strict mode)`);
      assert.deepEqual(item.properties[k].type, ['string', 'null']);
      assert.match(item.properties[k].description, /as printed.*null when none is printed/);
    }
  });

  test('model and validator agree: an answer with exactly the schema keys parses unchanged', () => {
    const answer = fullModelAnswer();
    assert.deepEqual(uniqueSorted(valuePaths(answer)), uniqueSorted(schemaPaths(modelResponseJsonSchema())));
    assert.deepEqual(parseModelExtraction(answer), answer);
    assert.deepEqual(ModelExtractionSchema.parse(answer), answer);
  });

  test('the model can answer through the whole provider and gets back what it sent', async () => {
    const out = await extractWithOpenAI([{ page: 1, text: 'DISCHARGE SUMMARY' }], { apiKey: 'k', baseURL: server.url, model: 'm' });
    assert.deepEqual(out.extraction, fullModelAnswer());
  });
});

describe('validating a model answer', () => {
  test('wrong type, missing key and an unknown enum value are refused, naming the path', () => {
    const wrongType = fullModelAnswer() as any;
    wrongType.lab_results[0].evidence.page = '2';
    refusedAt(() => parseModelExtraction(wrongType), 'lab_results.0.evidence.page');

    const missing = fullModelAnswer() as any;
    delete missing.patient.mrn;
    refusedAt(() => parseModelExtraction(missing), 'patient.mrn');

    const badEnum = fullModelAnswer() as any;
    badEnum.patient.sex.value = 'female';
    refusedAt(() => parseModelExtraction(badEnum), 'patient.sex.value');

    refusedAt(() => parseModelExtraction([]), '(root)');
  });

  test('the message names paths and expectations but never the offending text', () => {
    const x = fullModelAnswer() as any;
    x.diagnoses[0].description = { secret: 'Patient Jane Roe has HIV' };
    assert.throws(
      () => parseModelExtraction(x),
      (err: Error) => err.message.includes('diagnoses.0.description') && !err.message.includes('Jane') && !err.message.includes('HIV'),
    );
  });

  test('stray keys (a model-supplied evidence.found) are dropped and confidences clamped', () => {
    const x = fullModelAnswer() as any;
    x.lab_results[0].evidence.found = true;
    x.lab_results[0].note = 'extra';
    x.patient.name.confidence = 3;
    x.diagnoses[0].confidence = -1;
    const parsed = parseModelExtraction(x) as any;
    assert.deepEqual(parsed.lab_results[0].evidence, { page: 2, quote: 'WBC 14,200 /uL' });
    assert.equal('note' in parsed.lab_results[0], false);
    assert.equal(parsed.patient.name.confidence, 1);
    assert.equal(parsed.diagnoses[0].confidence, 0);
  });
});

describe('results made with schema v1', () => {
  /** A result as v1 stored it: medication `dose` and free-text status, no v2 sections. */
  function v1Result() {
    const ev = (quote: string) => ({ page: 1, quote, found: true });
    const f = (value: unknown, quote: string) => ({ value, evidence: ev(quote), confidence: 0.9 });
    const none = { value: null, evidence: null, confidence: 0 };
    return {
      schema_version: 'v1',
      document: { type: f('discharge_summary', 'DISCHARGE SUMMARY'), date: none, facility: none, author: none },
      patient: { name: f('Jane Roe', 'Jane Roe'), date_of_birth: none, sex: none, mrn: none },
      diagnoses: [],
      medications: [
        { name: 'Warfarin', dose: '5 mg', route: 'PO', frequency: 'daily', status: 'discontinued', evidence: ev('Warfarin 5 mg stop'), confidence: 0.8 },
        { name: 'Metformin', dose: '500 mg', route: null, frequency: null, status: 'as before', evidence: ev('Metformin 500 mg'), confidence: 0.8 },
      ],
      lab_results: [
        { test: 'WBC', value: 14200, unit: '/uL', reference_range: null, flag: 'H', collected_at: null, evidence: ev('WBC 14,200'), confidence: 0.9 },
      ],
      vitals: [],
      procedures: [{ name: 'Chest X-ray', date: null, evidence: ev('Chest X-ray'), confidence: 0.7 }],
      allergies: [{ substance: 'Penicillin', reaction: 'rash', evidence: ev('Penicillin (rash)'), confidence: 0.9, reasons: [] }],
    };
  }

  test('a stored v1 result is read in the current shape: dose becomes strength, status words map, new fields are empty', () => {
    const raw = v1Result();
    assert.equal(storedSchemaVersion(raw), 'v1');
    const x = parseStoredExtraction(raw);
    assert.equal(x.schema_version, 'v2');
    assert.deepEqual(
      x.medications.map((m) => [m.name, m.strength, m.status, m.form]),
      [
        ['Warfarin', '5 mg', 'stopped', null],
        ['Metformin', '500 mg', null, null],
      ],
    );
    assert.equal(x.lab_results[0]!.value, 14200);
    assert.equal(x.lab_results[0]!.panel, null);
    assert.deepEqual([x.lab_results[0]!.loinc, x.lab_results[0]!.panel_loinc], [null, null], 'v1 had no printed codes');
    assert.equal(x.procedures[0]!.code, null);
    assert.equal(x.allergies[0]!.severity, null);
    assert.equal(x.patient.age.value, null);
    assert.equal(x.encounter.admission_date.value, null);
    assert.deepEqual([x.immunizations, x.claim_lines], [[], []]);
    assert.ok(parseExtraction(x), 'the upgraded view is a valid current extraction');
    assert.deepEqual(raw, v1Result(), 'the stored result itself is not changed');
  });

  test('a stored result of either version with a wrong shape is refused, naming the path', () => {
    const bad = v1Result() as any;
    bad.medications[0].dose = 5;
    refusedAt(() => parseStoredExtraction(bad), 'medications.0.dose');
    const current = parseStoredExtraction(v1Result()) as any;
    current.claim_lines.push({ code: '99213' });
    refusedAt(() => parseStoredExtraction(current), 'claim_lines.0.evidence');
  });

  test('a v2 result stored before lab results carried printed LOINC codes is read with them null, and is not changed', () => {
    const stored = fullStoredExtraction() as any;
    delete stored.lab_results[0].loinc;
    delete stored.lab_results[0].panel_loinc;
    const before = structuredClone(stored);
    const x = parseStoredExtraction(stored);
    assert.deepEqual([x.lab_results[0]!.loinc, x.lab_results[0]!.panel_loinc], [null, null]);
    assert.equal(x.lab_results[0]!.test, 'WBC');
    assert.deepEqual(stored, before, 'the stored row is read, never rewritten');
    refusedAt(() => parseExtraction(stored), 'lab_results.0.loinc');
    const wrong = fullStoredExtraction() as any;
    wrong.lab_results[0].loinc = 6690;
    refusedAt(() => parseStoredExtraction(wrong), 'lab_results.0.loinc');
  });

  test('a model that leaves out keys whose value would be null is read as null; a missing required value is still refused', () => {
    const answer = fullModelAnswer() as any;
    delete answer.medications[0].form;
    delete answer.medications[0].quantity;
    delete answer.patient.age.evidence;
    const parsed = parseModelExtraction(answer);
    assert.equal(parsed.medications[0]!.form, null);
    assert.equal(parsed.medications[0]!.quantity, null);
    assert.equal(parsed.patient.age.evidence, null);
    const nameless = fullModelAnswer() as any;
    delete nameless.medications[0].name;
    refusedAt(() => parseModelExtraction(nameless), 'medications.0.name');
  });
});

describe('the stored extraction', () => {
  test('a complete extraction and the empty one parse', () => {
    assert.deepEqual(parseExtraction(fullStoredExtraction()), fullStoredExtraction());
    assert.deepEqual(ExtractionSchema.parse(emptyExtraction()), emptyExtraction());
  });

  test('wrong type, missing key, extra key, wrong version and an out-of-range confidence are refused, naming the path', () => {
    const wrongType = fullStoredExtraction() as any;
    wrongType.vitals[0].unit = 5;
    refusedAt(() => parseExtraction(wrongType), 'vitals.0.unit');

    const missing = fullStoredExtraction() as any;
    delete missing.allergies;
    refusedAt(() => parseExtraction(missing), 'allergies');

    const extra = fullStoredExtraction() as any;
    extra.medications[0].dose = '500 mg';
    refusedAt(() => parseExtraction(extra), 'medications.0');

    const version = fullStoredExtraction() as any;
    version.schema_version = 'v3';
    refusedAt(() => parseExtraction(version), 'schema_version');

    const confidence = fullStoredExtraction() as any;
    confidence.document.date.confidence = 1.5;
    refusedAt(() => parseExtraction(confidence), 'document.date.confidence');
  });

  test("the offline provider's output on a corpus document satisfies the contract, before and after verification", async () => {
    const pages = await readTextLayer(readCorpus('medical/rcn_discharge_summary.pdf'));
    const raw = extractOffline(pages);
    assert.ok(raw.diagnoses.length + raw.medications.length + raw.lab_results.length > 0, 'the document yields items');
    assert.deepEqual(parseExtraction(raw), raw);
    const verified = verifyEvidence(raw, pages);
    assert.deepEqual(parseExtraction(verified), verified);
  });

  test('the downloadable JSON satisfies ExtractionDownloadSchema', () => {
    const json = extractionToJson({
      jobId: '0b8a4c58-7c55-4a43-9a3e-3f3f2f9b9d11',
      filename: 'a.pdf',
      schemaVersion: 'v2',
      pageCount: 2,
      pageSources: [
        { page: 1, source: 'text_layer' },
        { page: 2, source: 'ocr', ocrConfidence: 0.91 },
      ],
      provider: 'offline',
      model: null,
      warnings: [],
      needsReview: false,
      extractedAt: new Date('2024-03-05T10:00:00Z'),
      extraction: fullStoredExtraction(),
    });
    assert.deepEqual(ExtractionDownloadSchema.parse(json), json);
    const negative = ExtractionDownloadSchema.safeParse({ ...json, page_count: -1 });
    assert.deepEqual(
      negative.error?.issues.map((i) => i.path.join('.')),
      ['page_count'],
    );
  });
});
