/**
 * One job's result → a FHIR R4 (4.0.1) Bundle: the source document (DocumentReference), the patient, the
 * encounter and coverage, the clinical resources, the MedExtract Device, and one Provenance per resource
 * that carries every value's evidence. `collection` for download, `transaction` (conditional creates,
 * `urn:uuid` references) for loading into a FHIR server. Ids are derived from the job id and each value's
 * place in the result, so the same result always gives the same Bundle.
 */
import type {
  Bundle,
  BundleEntry,
  Coverage,
  Device,
  DocumentReference,
  Encounter,
  Extension,
  Patient,
  Practitioner,
  Provenance,
  ProvenanceAgent,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import type { DocumentType, Extraction, Field, ValueReview } from '../../core/contract/extraction.js';
import type { PageWord } from '../pdf/preview.js';
import { quoteBoxes } from '../extraction/highlight.js';
import { LOINC_NOTICE } from '../lab/index.js';
import { clinicalResources } from './clinical.js';
import { compact, concept, dataAbsent, dateTimeFor, idOf, liveValue, refTo, type Context, type Made } from './context.js';
import { fhirDate, fhirDateTime, fhirInstant } from './dates.js';
import { evidenceExtension, type QuoteBoxes, type ValueRecord, type ValueSource } from './evidence.js';
import { urnOf, uuidV5 } from './ids.js';
import { ageObservation, labResources, vitalResources } from './observations.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, SYSTEM, type ValueProblem } from './profile.js';

/** The source file of a job. */
export interface FhirSource {
  jobId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  /** When the file was uploaded (ISO-8601). */
  createdAt: string;
}

/** Which version of the result this is, where people stand with it, and what extracted it. */
export interface FhirResultMeta {
  version: number;
  reviewState: 'unreviewed' | 'in_review' | 'approved';
  approvedBy: string | null;
  approvedAt: string | null;
  provider: 'openai' | 'offline';
  model: string | null;
  extractedAt: string | null;
}

export type BundleKind = 'collection' | 'transaction';

export interface BundleInput {
  source: FhirSource;
  extraction: Extraction;
  meta: FhirResultMeta;
  /** The positioned words of each page (page number → words), when at hand: the evidence then carries highlight boxes. */
  pageWords?: ReadonlyMap<number, readonly PageWord[]>;
}

// ---------------------------------------------------------------------------------------------------
// Source document

/** Document kinds → LOINC document codes where one fits exactly; the others carry words only. */
const DOCUMENT_KINDS: Record<DocumentType, { label: string; loinc?: { code: string; display: string } }> = {
  lab_report: { label: 'Lab report', loinc: { code: '11502-2', display: 'Laboratory report' } },
  discharge_summary: { label: 'Discharge summary', loinc: { code: '18842-5', display: 'Discharge summary' } },
  referral: { label: 'Referral', loinc: { code: '57133-1', display: 'Referral note' } },
  prescription: { label: 'Prescription', loinc: { code: '57833-6', display: 'Prescription for medication' } },
  clinical_note: { label: 'Clinical note', loinc: { code: '11506-3', display: 'Progress note' } },
  claim_form: { label: 'Claim form' },
  radiology_report: { label: 'Radiology report', loinc: { code: '18748-4', display: 'Diagnostic imaging study' } },
  pathology_report: { label: 'Pathology report', loinc: { code: '11526-1', display: 'Pathology study' } },
  insurance_card: { label: 'Insurance card' },
  eob: { label: 'Explanation of benefits' },
  vaccination_record: { label: 'Vaccination record', loinc: { code: '11369-6', display: 'History of Immunization Narrative' } },
  other: { label: 'Other' },
};

const record = (pointer: string, element: string, source: ValueSource, problems: ValueProblem[] = [], printed?: string): ValueRecord => ({
  pointer,
  element,
  source,
  problems,
  ...(printed ? { printed } : {}),
});

function documentReference(ctx: Context, source: FhirSource): Made {
  const d = ctx.extraction.document;
  const values: ValueRecord[] = [];
  const type = liveValue(d.type);
  const kind = type ? DOCUMENT_KINDS[type] : undefined;
  if (type) values.push(record('/document/type', 'DocumentReference.type', d.type));
  const author = liveValue(d.author);
  const facility = liveValue(d.facility);
  if (author) values.push(record('/document/author', 'DocumentReference.author', d.author));
  if (facility) values.push(record('/document/facility', 'DocumentReference.author', d.facility));
  let creation: string | undefined;
  if (liveValue(d.date)) {
    const rec = record('/document/date', 'DocumentReference.content.attachment.creation', d.date);
    values.push(rec);
    creation = dateTimeFor(d.date.value, rec);
  }
  const resource: DocumentReference = compact({
    resourceType: 'DocumentReference',
    id: idOf(ctx, 'document'),
    // The file's SHA-256 is its version-specific identity (R4's Attachment.hash is SHA-1, which we do not have).
    masterIdentifier: { system: IDENTIFIER_SYSTEM.sha256, value: source.sha256.toLowerCase() },
    identifier: [{ system: IDENTIFIER_SYSTEM.job, value: source.jobId }],
    status: 'current',
    type: kind ? concept(kind.label, kind.loinc ? { system: SYSTEM.loinc, ...kind.loinc } : null) : undefined,
    subject: refTo(ctx, 'patient'),
    date: fhirInstant(source.createdAt) ?? undefined,
    author: [...(author ? [{ display: author }] : []), ...(facility ? [{ display: facility }] : [])],
    content: [
      {
        attachment: compact({
          contentType: source.contentType,
          size: source.sizeBytes,
          title: source.filename,
          creation,
        }),
      },
    ],
  } satisfies DocumentReference);
  return { key: 'document', resource, values, ifNoneExist: `identifier=${IDENTIFIER_SYSTEM.sha256}|${source.sha256.toLowerCase()}` };
}

// ---------------------------------------------------------------------------------------------------
// Patient, encounter, coverage

/** A search parameter value with FHIR's reserved characters escaped, then URL-encoded. */
const searchValue = (s: string): string => encodeURIComponent(s.replace(/([\\,$|])/g, '\\$1'));

function patient(ctx: Context): Made[] {
  const p = ctx.extraction.patient;
  const values: ValueRecord[] = [];
  const resource: Patient = { resourceType: 'Patient', id: idOf(ctx, 'patient') };
  let ifNoneExist: string | undefined;
  const name = liveValue(p.name);
  if (name) {
    resource.name = [{ text: name }];
    values.push(record('/patient/name', 'Patient.name', p.name));
  }
  const mrn = liveValue(p.mrn);
  if (mrn) {
    const facility = liveValue(ctx.extraction.document.facility);
    resource.identifier = [
      compact({
        use: 'usual' as const,
        type: { coding: [{ system: SYSTEM.identifierType, code: 'MR', display: 'Medical record number' }], text: 'MRN' },
        value: mrn,
        // The issuer's identifier system is never printed; the facility names it in words.
        assigner: facility ? { display: facility } : undefined,
      }),
    ];
    values.push(record('/patient/mrn', 'Patient.identifier', p.mrn));
    ifNoneExist = `identifier=${searchValue(mrn)}`;
  }
  const dob = liveValue(p.date_of_birth);
  if (dob) {
    const date = fhirDate(dob);
    if (date) resource.birthDate = date;
    values.push(
      date
        ? record('/patient/date_of_birth', 'Patient.birthDate', p.date_of_birth)
        : record('/patient/date_of_birth', 'Patient.birthDate', p.date_of_birth, ['date-not-valid'], dob),
    );
  }
  const sex = liveValue(p.sex);
  if (sex) {
    resource.gender = sex === 'M' ? 'male' : sex === 'F' ? 'female' : 'other';
    values.push(record('/patient/sex', 'Patient.gender', p.sex));
  }
  const out: Made[] = [{ key: 'patient', resource, values, ...(ifNoneExist ? { ifNoneExist } : {}) }];
  const age = liveValue(p.age);
  if (age) out.push({ key: 'patient/age', resource: ageObservation(ctx, age), values: [record('/patient/age', 'Observation', p.age)] });
  return out;
}

function encounter(ctx: Context): Made | null {
  const e = ctx.extraction.encounter;
  const values: ValueRecord[] = [];
  const problems: ValueProblem[] = [];
  const dateOf = (pointer: string, element: string, f: Field<string>): string | undefined => {
    const v = liveValue(f);
    if (!v) return undefined;
    const rec = record(pointer, element, f);
    values.push(rec);
    return dateTimeFor(v, rec);
  };
  const start = dateOf('/encounter/admission_date', 'Encounter.period.start', e.admission_date);
  let end = dateOf('/encounter/discharge_date', 'Encounter.period.end', e.discharge_date);
  if (start && end && end.slice(0, 10) < start.slice(0, 10)) {
    problems.push('period-reversed');
    values.find((v) => v.pointer === '/encounter/discharge_date')?.problems.push('period-reversed');
    end = undefined;
  }
  const attending = liveValue(e.attending);
  const ward = liveValue(e.ward);
  if (attending) values.push(record('/encounter/attending', 'Encounter.participant', e.attending));
  if (ward) values.push(record('/encounter/ward', 'Encounter.location', e.ward));
  if (values.length === 0) return null;
  const admitted = start !== undefined || liveValue(e.discharge_date) !== null;
  const resource: Encounter = compact({
    resourceType: 'Encounter',
    id: idOf(ctx, 'encounter'),
    // A discharge date says the stay is over; otherwise the document does not say where it stands.
    status: end ? ('finished' as const) : ('unknown' as const),
    class: admitted ? { system: SYSTEM.actCode, code: 'IMP', display: 'inpatient encounter' } : { extension: dataAbsent() },
    subject: refTo(ctx, 'patient'),
    period: start || end ? compact({ start, end }) : undefined,
    participant: attending
      ? [{ type: [{ coding: [{ system: SYSTEM.participationType, code: 'ATND', display: 'attender' }] }], individual: { display: attending } }]
      : undefined,
    location: ward ? [{ location: { display: ward } }] : undefined,
  } satisfies Encounter);
  return { key: 'encounter', resource, values };
}

function coverage(ctx: Context): Made | null {
  const i = ctx.extraction.insurance;
  const payer = liveValue(i.payer);
  const member = liveValue(i.member_id);
  const group = liveValue(i.group_number);
  if (!payer && !member && !group) return null;
  const values: ValueRecord[] = [];
  if (payer) values.push(record('/insurance/payer', 'Coverage.payor', i.payer));
  if (member) values.push(record('/insurance/member_id', 'Coverage.subscriberId', i.member_id));
  if (group) values.push(record('/insurance/group_number', 'Coverage.class', i.group_number));
  const resource: Coverage = compact({
    resourceType: 'Coverage',
    id: idOf(ctx, 'insurance'),
    // Coverage.status is required; a printed card or claim is read as coverage in force.
    status: 'active' as const,
    beneficiary: refTo(ctx, 'patient'),
    subscriberId: member ?? undefined,
    payor: [payer ? { display: payer } : { extension: dataAbsent() }],
    class: group ? [{ type: { coding: [{ system: SYSTEM.coverageClass, code: 'group', display: 'Group' }] }, value: group }] : undefined,
  } satisfies Coverage);
  return { key: 'insurance', resource, values };
}

function device(ctx: Context, meta: FhirResultMeta): Device {
  return {
    resourceType: 'Device',
    id: idOf(ctx, 'device'),
    deviceName: [{ name: 'MedExtract', type: 'user-friendly-name' }],
    type: { text: 'Document data extraction software' },
    version: [{ type: { text: 'extraction provider' }, value: meta.provider }, ...(meta.model ? [{ type: { text: 'model' }, value: meta.model }] : [])],
    // LOINC's licence asks for its notice wherever its codes are shipped; every Bundle carries some.
    note: [{ text: LOINC_NOTICE }],
  };
}

// ---------------------------------------------------------------------------------------------------
// Provenance

const participant = (code: string, display: string) => ({ coding: [{ system: SYSTEM.provenanceParticipant, code, display }] });
const PARTICIPANT = {
  assembler: participant('assembler', 'Assembler'),
  enterer: participant('enterer', 'Enterer'),
  verifier: participant('verifier', 'Verifier'),
  attester: participant('attester', 'Attester'),
};

const person = (username: string): Reference<Practitioner> => ({ identifier: { system: IDENTIFIER_SYSTEM.username, value: username }, display: username });

/** The latest of the given timestamps, as an instant. */
function latest(times: ReadonlyArray<string | null | undefined>): string | null {
  const ms = times.map((t) => (t ? Date.parse(t) : NaN)).filter(Number.isFinite);
  return ms.length ? new Date(Math.max(...ms)).toISOString() : null;
}

function provenance(ctx: Context, made: Made, meta: FhirResultMeta, source: FhirSource, boxes: QuoteBoxes | undefined): Provenance {
  const reviews = made.values.map((v) => v.source.review).filter((r): r is ValueReview => !!r && r.state !== 'unreviewed');
  const agents: ProvenanceAgent[] = [{ type: PARTICIPANT.assembler, who: refTo(ctx, 'device') }];
  const seen = new Set<string>();
  const addPerson = (type: keyof typeof PARTICIPANT, username: string | undefined | null) => {
    if (!username || seen.has(`${type}/${username}`)) return;
    seen.add(`${type}/${username}`);
    agents.push({ type: PARTICIPANT[type], who: person(username) });
  };
  // Who corrected or added a value entered it; who accepted one verified it; who approved the result attested it.
  for (const r of reviews) addPerson(r.state === 'accepted' ? 'verifier' : 'enterer', r.by);
  const approved = meta.reviewState === 'approved';
  if (approved) addPerson('attester', meta.approvedBy);
  const evidence: Extension[] = made.values.map((v) => evidenceExtension(v, boxes));
  return {
    resourceType: 'Provenance',
    id: idOf(ctx, `provenance/${made.key}`),
    target: [refTo(ctx, made.key)],
    recorded:
      latest([meta.extractedAt, ...reviews.map((r) => r.at), approved ? meta.approvedAt : null]) ?? fhirInstant(source.createdAt) ?? new Date(0).toISOString(),
    activity: {
      coding: reviews.some((r) => r.state === 'corrected')
        ? [{ system: SYSTEM.dataOperation, code: 'UPDATE', display: 'revise' }]
        : [{ system: SYSTEM.dataOperation, code: 'CREATE', display: 'create' }],
    },
    agent: agents,
    entity: [{ role: 'source', what: refTo(ctx, 'document'), ...(evidence.length ? { extension: evidence } : {}) }],
  };
}

// ---------------------------------------------------------------------------------------------------
// The Bundle

const REVIEW_STATE_DISPLAY = { unreviewed: 'Unreviewed', in_review: 'In review', approved: 'Approved' } as const;

/** The Bundle of one job's result (the version given in `meta`). */
export function buildBundle(input: BundleInput, kind: BundleKind = 'collection'): Bundle {
  const { source, extraction: x, meta } = input;
  const sex = liveValue(x.patient.sex);
  const docDate = liveValue(x.document.date);
  const ctx: Context = {
    jobId: source.jobId,
    extraction: x,
    sex,
    documentDate: docDate ? (fhirDateTime(docDate).value ?? null) : null,
    hasEncounter: false,
  };
  const words = input.pageWords;
  const boxes: QuoteBoxes | undefined = words ? (page, quote) => quoteBoxes(words.get(page) ?? [], quote) : undefined;

  const enc = encounter(ctx);
  // The clinical resources point to the Encounter when there is one.
  ctx.hasEncounter = enc !== null;
  const cov = coverage(ctx);
  const made: Made[] = [
    ...patient(ctx),
    documentReference(ctx, source),
    ...(enc ? [enc] : []),
    ...(cov ? [cov] : []),
    ...labResources(ctx),
    ...vitalResources(ctx),
    ...clinicalResources(ctx),
  ];
  const resources: Array<{ resource: Resource; ifNoneExist?: string }> = [
    ...made.map((m) => ({ resource: m.resource, ...(m.ifNoneExist ? { ifNoneExist: m.ifNoneExist } : {}) })),
    { resource: device(ctx, meta) },
    ...made.map((m) => ({ resource: provenance(ctx, m, meta, source, boxes) })),
  ];
  const entry: BundleEntry[] = resources.map(({ resource, ifNoneExist }) => ({
    fullUrl: urnOf(resource.id!),
    resource,
    ...(kind === 'transaction' ? { request: { method: 'POST' as const, url: resource.resourceType, ...(ifNoneExist ? { ifNoneExist } : {}) } } : {}),
  }));
  const timestamp = latest(resources.flatMap(({ resource }) => (resource.resourceType === 'Provenance' ? [resource.recorded] : [])));
  return compact({
    resourceType: 'Bundle' as const,
    id: uuidV5(`${source.jobId}/bundle/v${meta.version}/${kind}`),
    meta: { tag: [{ system: CODE_SYSTEM.resultReviewState, code: meta.reviewState, display: REVIEW_STATE_DISPLAY[meta.reviewState] }] },
    identifier: { system: IDENTIFIER_SYSTEM.resultVersion, value: `${source.jobId}/v${meta.version}` },
    type: kind,
    timestamp: timestamp ?? undefined,
    entry,
  } satisfies Bundle);
}

/** A collection Bundle holding one Bundle per document (a batch download): each keeps its own references and Provenance. */
export function combinedBundle(bundles: Bundle[]): Bundle {
  const ids = bundles.map((b, i) => b.id ?? uuidV5(`combined/member/${i}/${JSON.stringify(b.identifier ?? null)}`));
  return compact({
    resourceType: 'Bundle' as const,
    id: uuidV5(`combined/${ids.join(',')}`),
    type: 'collection' as const,
    entry: bundles.map((b, i) => ({ fullUrl: urnOf(ids[i]!), resource: b })),
  } satisfies Bundle);
}
