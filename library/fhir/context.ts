/** What the resource builders share: the result being exported, deterministic references, and small FHIR helpers. */
import type { Annotation, CodeableConcept, Extension, Quantity, Reference, Resource } from '@medplum/fhirtypes';
import type { Extraction, Field, Sex } from '../../core/contract/extraction.js';
import { isValidUcum, type Comparator, type UnitReading } from '../lab/index.js';
import { fhirDateTime } from './dates.js';
import type { ValueRecord, ValueSource } from './evidence.js';
import { resourceId, urnOf } from './ids.js';
import { SYSTEM, VALUE_PROBLEMS, type ValueProblem } from './profile.js';

/** One resource made from the result, with the extracted values it carries (for its Provenance). */
export interface Made {
  /** Its place in the result (`patient`, `lab_results/3`): the seed of its id. */
  key: string;
  resource: Resource;
  values: ValueRecord[];
  /** Transaction Bundles: the search that makes its create conditional. */
  ifNoneExist?: string;
}

export interface Context {
  jobId: string;
  extraction: Extraction;
  /** The patient's sex as read (unless rejected), for sex-specific reference ranges. */
  sex: Sex | null;
  /** The document's printed date as a FHIR date, when there is one. */
  documentDate: string | null;
  /** Whether an Encounter is exported (clinical resources then point to it). */
  hasEncounter: boolean;
}

export const idOf = (ctx: Pick<Context, 'jobId'>, key: string): string => resourceId(ctx.jobId, key);
/** A reference to the resource made from `key` (its type is the one the referring element asks for). */
export const refTo = <T extends Resource = Resource>(ctx: Pick<Context, 'jobId'>, key: string): Reference<T> => ({ reference: urnOf(idOf(ctx, key)) });

/** A value a person rejected is not in the document: it never becomes part of a resource. */
export const isLive = (v: ValueSource): boolean => v.review?.state !== 'rejected';

/** A field's value unless it is empty or rejected. */
export function liveValue<T>(f: Field<T>): T | null {
  if (!isLive(f) || f.value === null || f.value === undefined) return null;
  return typeof f.value === 'string' && f.value.trim() === '' ? null : f.value;
}

export const text = (s: string | null | undefined): string | null => (s === null || s === undefined || s.trim() === '' ? null : s.trim());

/** A CodeableConcept with the words as printed and, when known, one coding. */
export function concept(words: string, coding?: { system: string; code: string; display?: string | null } | null): CodeableConcept {
  if (!coding) return { text: words };
  return { coding: [{ system: coding.system, code: coding.code, ...(coding.display ? { display: coding.display } : {}) }], text: words };
}

/** A Quantity with the unit as printed and its UCUM code when the unit has one. */
export function quantity(value: number, unit: UnitReading | null, comparator?: Comparator | null): Quantity {
  const q: Quantity = { value };
  if (comparator) q.comparator = comparator;
  if (unit && unit.printed.trim() !== '') {
    q.unit = unit.printed;
    if (unit.ucum && isValidUcum(unit.ucum)) {
      q.system = SYSTEM.ucum;
      q.code = unit.ucum;
    }
  }
  return q;
}

/** Whether a printed unit is kept as text only (it has no valid UCUM code). */
export const unitWithoutUcum = (unit: UnitReading | null): boolean => !!unit && unit.printed.trim() !== '' && !(unit.ucum && isValidUcum(unit.ucum));

/** Notes a person reads on the resource: the export's problems in plain words, then any other remarks. */
export function notes(problems: readonly ValueProblem[], extra: ReadonlyArray<string | null> = []): Annotation[] | undefined {
  const out = [...new Set(problems)].map((p) => `MedExtract: ${VALUE_PROBLEMS[p].message}.`);
  for (const e of extra) if (e) out.push(e);
  return out.length ? out.map((t) => ({ text: t })) : undefined;
}

/** The FHIR way to say an element that must be there is unknown. */
export const dataAbsent = (): Extension[] => [{ url: SYSTEM.dataAbsentReasonExtension, valueCode: 'unknown' }];

/** Leaves out undefined and null properties, so resources carry only what is known. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) {
    const v = o[k];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) delete o[k];
  }
  return o;
}

/**
 * A printed date or date-time as FHIR carries it. When FHIR cannot carry it exactly (a local time without a
 * zone keeps only its date) the value as printed goes into the evidence; one that is no date is flagged.
 */
export function dateTimeFor(printed: string | null, record: ValueRecord): string | undefined {
  const s = text(printed);
  if (!s) return undefined;
  const d = fhirDateTime(s);
  if (d.value === null) record.problems.push('date-not-valid');
  if (d.value === null || d.zoneless) record.printed = s;
  return d.value ?? undefined;
}
