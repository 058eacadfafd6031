/**
 * Corrections of an extraction by a person: a JSON Patch (RFC 6902) against the current version becomes
 * the next version, with each touched value's review state worked out here so that no client can get it
 * wrong. A value is a scalar field (`/patient/name`) or a list item (`/medications/2`).
 *
 * - Changing a value's content makes it `corrected`, and its machine value is kept in `review.original`;
 *   changing it back to the machine value undoes the correction. A field the machine left empty that a
 *   person fills is `added`.
 * - `…/review/state` may be set to `accepted`, `rejected` or `unreviewed`; `by`, `at` and `original` are
 *   kept here, as are the machine's `confidence`, `reasons` and `evidence.found`.
 * - A new list item (`add` at `/<section>/-` or an index) is `added`; it needs the page it is on. Only an
 *   added item may be removed: a machine-extracted one is rejected instead, so its history stays.
 *
 * The stored history keeps the effect of each correction as a plain patch (`effect`): any version is
 * rebuilt by applying the effects in order, whatever later code would make of the patches as sent.
 * Knows nothing of HTTP or SQL.
 */
import { isDeepStrictEqual } from 'node:util';
import jsonPatch from 'fast-json-patch';
import {
  LIST_SECTIONS,
  SCALAR_GROUPS,
  parseStoredExtraction,
  ExtractionShapeError,
  type Evidence,
  type Extraction,
  type ListSection,
  type ScalarGroup,
  type ValueReview,
  type ValueReviewState,
} from '../../core/contract/extraction.js';
import type { JobResult, ResultReview } from '../../core/contract/job-result.js';
import { SETTABLE_VALUE_STATES, type PatchOperation, type ValueChange } from '../../core/contract/review.js';

const { applyPatch, compare, JsonPatchError } = jsonPatch;

/** A patch as the history stores its effect: plain RFC 6902 add, remove and replace operations. */
export type PatchEffect = PatchOperation[];

export type CorrectionErrorCode = 'PatchTargetMissing' | 'PatchTestFailed' | 'NotCorrectable' | 'ContractViolation' | 'EvidenceRequired';

/** A correction that cannot be applied; nothing was changed. The message names the operation and path, never a value. */
export class CorrectionError extends Error {
  constructor(
    readonly code: CorrectionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CorrectionError';
  }
}

export interface CorrectionContext {
  /** Username of the person correcting. */
  by: string;
  at: Date;
  /** Pages of the document: evidence must cite one of them. */
  pageCount: number;
}

export interface Correction {
  /** The next version, as stored (values nobody reviewed carry no `review`). */
  next: Extraction;
  /** What the correction did, as a plain patch from the current version to the next. */
  effect: PatchEffect;
  /** Every value whose content or review state changed. */
  changes: ValueChange[];
}

type Unit = Record<string, unknown> & { review?: ValueReview; evidence: Evidence | null };

const SETTABLE: ReadonlySet<string> = new Set(SETTABLE_VALUE_STATES);
/** Parts of a value that a person does not edit: the machine's judgement of it. */
const MACHINE_KEYS: ReadonlySet<string> = new Set(['confidence', 'reasons']);

const isList = (s: string): s is ListSection => (LIST_SECTIONS as readonly string[]).includes(s);
const isGroup = (s: string): s is ScalarGroup => (SCALAR_GROUPS as readonly string[]).includes(s);

function segments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const escapeSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every value of an extraction with its pointer. */
function* unitsOf(x: Extraction): Generator<{ path: string; unit: Unit }> {
  for (const group of SCALAR_GROUPS) {
    for (const [key, unit] of Object.entries(x[group])) yield { path: `/${group}/${escapeSegment(key)}`, unit: unit as Unit };
  }
  for (const section of LIST_SECTIONS) {
    for (const [i, unit] of x[section].entries()) yield { path: `/${section}/${i}`, unit: unit as unknown as Unit };
  }
}

/** The result as the API shows it: every value carries its review state (`unreviewed` when nobody looked). A copy. */
export function withReviewStates(x: Extraction): Extraction {
  const out = structuredClone(x);
  for (const { unit } of unitsOf(out)) unit.review ??= { state: 'unreviewed' };
  return out;
}

/** The stored form: a bare `unreviewed` (nobody, never) is left out. A copy. */
export function withoutBlankReviews(x: Extraction): Extraction {
  const out = structuredClone(x);
  for (const { unit } of unitsOf(out)) {
    if (unit.review && unit.review.state === 'unreviewed' && unit.review.by === undefined && unit.review.original === undefined) delete unit.review;
  }
  return out;
}

/** Version N from version 0 and the effects of corrections 1..N. */
export function replayCorrections(version0: Extraction, effects: readonly PatchEffect[]): Extraction {
  let x = structuredClone(version0);
  for (const effect of effects) x = applyPatch(x, structuredClone(effect) as jsonPatch.Operation[], false, true).newDocument;
  // An item added before a nullable part joined the schema has none: read as null, like the stored result.
  return parseStoredExtraction(x);
}

/** A job's result at a version: the machine's result with corrections 1..N replayed, said to be that version. */
export function reviewedResult(machine: JobResult, effects: readonly PatchEffect[], review: ResultReview): JobResult {
  return { ...machine, extraction: effects.length > 0 ? replayCorrections(machine.extraction, effects) : machine.extraction, review };
}

function describe(op: PatchOperation, i: number): string {
  return `operation ${i + 1} (${op.op} ${op.path || '/'})`;
}

/**
 * Checks each operation's target before anything is applied and rewrites a whole-value `replace` into
 * replaces of its parts (so the value keeps its identity and its history).
 */
function checkedOperations(ops: readonly PatchOperation[], current: Extraction): jsonPatch.Operation[] {
  const out: jsonPatch.Operation[] = [];
  ops.forEach((op, i) => {
    const at = describe(op, i);
    const segs = segments(op.path);
    const [top, , ...rest] = segs;
    if (op.op === 'test') {
      out.push(structuredClone(op) as jsonPatch.Operation);
      return;
    }
    if (top === undefined) throw new CorrectionError('NotCorrectable', `${at}: the whole result cannot be replaced; patch its values`);
    if (top === 'schema_version') throw new CorrectionError('NotCorrectable', `${at}: the schema version is not a value to correct`);
    if (!isGroup(top) && !isList(top)) throw new CorrectionError('PatchTargetMissing', `${at}: the result has no section "${top}"`);
    if (segs.length === 1) throw new CorrectionError('NotCorrectable', `${at}: a whole section cannot be replaced; patch its values one by one`);
    if (rest[0] === 'review') {
      const value = 'value' in op ? op.value : undefined;
      if (rest.length !== 2 || rest[1] !== 'state' || op.op === 'remove' || typeof value !== 'string' || !SETTABLE.has(value)) {
        throw new CorrectionError(
          'NotCorrectable',
          `${at}: of a value's review only review/state may be set, to ${SETTABLE_VALUE_STATES.join(', ')} (corrected and added follow from the change itself)`,
        );
      }
    }
    if (rest[0] !== undefined && MACHINE_KEYS.has(rest[0])) {
      throw new CorrectionError('NotCorrectable', `${at}: ${rest[0]} is the machine's judgement of the value; set its review state instead`);
    }
    if (rest[0] === 'evidence' && rest[1] === 'found') throw new CorrectionError('NotCorrectable', `${at}: evidence.found is set by verification`);
    if (isGroup(top) && !Object.hasOwn(current[top], segs[1]!)) {
      throw new CorrectionError('PatchTargetMissing', `${at}: ${top} has no field "${segs[1]}"`);
    }
    const unit = (isGroup(top) ? (current[top] as Record<string, unknown>)[segs[1]!] : current[top as ListSection][Number(segs[1])]) as
      Record<string, unknown> | undefined;
    if (rest[0] !== undefined && unit && !Object.hasOwn(unit, rest[0])) {
      throw new CorrectionError('PatchTargetMissing', `${at}: a value of ${top} has no part "${rest[0]}"`);
    }
    if (segs.length === 2 && isGroup(top) && op.op !== 'replace') {
      throw new CorrectionError('NotCorrectable', `${at}: a field cannot be added or removed; set its value (or null), or reject it`);
    }
    if (segs.length === 2 && op.op === 'replace') {
      // A whole field or item: replace its parts, so it stays the same value with its review
      const value = op.value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new CorrectionError('ContractViolation', `${at}: a ${isGroup(top) ? 'field' : 'list item'} is an object`);
      }
      const target = unit;
      if (target === undefined) throw new CorrectionError('PatchTargetMissing', `${at}: there is no such ${isGroup(top) ? 'field' : 'item'}`);
      for (const [key, part] of Object.entries(value as Record<string, unknown>)) {
        if (key === 'review' || MACHINE_KEYS.has(key)) continue;
        if (!(key in target)) throw new CorrectionError('ContractViolation', `${at}: "${key}" is not part of this value`);
        out.push({ op: 'replace', path: `${op.path}/${escapeSegment(key)}`, value: structuredClone(part) });
      }
      return;
    }
    out.push(structuredClone(op) as jsonPatch.Operation);
  });
  return out;
}

const MISSING = new Set([
  'OPERATION_PATH_UNRESOLVABLE',
  'OPERATION_FROM_UNRESOLVABLE',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX',
  'OPERATION_VALUE_OUT_OF_BOUNDS',
  'OPERATION_PATH_CANNOT_ADD',
]);

function applyOperations(work: Extraction, ops: jsonPatch.Operation[], sent: readonly PatchOperation[]): void {
  try {
    applyPatch(work, ops, true, true, true);
  } catch (err) {
    if (err instanceof JsonPatchError) {
      const op = ops[err.index ?? 0];
      const at = op ? `operation (${op.op} ${op.path || '/'})` : 'the patch';
      if (err.name === 'TEST_OPERATION_FAILED') {
        throw new CorrectionError('PatchTestFailed', `${at}: the value is not what the test expects (it has changed since you read it)`);
      }
      if (MISSING.has(err.name)) throw new CorrectionError('PatchTargetMissing', `${at}: no such field or item in the result`);
      throw new CorrectionError('ContractViolation', `${at}: ${err.name.toLowerCase().replace(/_/g, ' ')}`);
    }
    if (err instanceof TypeError) throw new CorrectionError('NotCorrectable', `the patch touches a property no result has (${sent.length} operations)`);
    throw err;
  }
}

/** A value's content: what a person can see and correct (everything but its review). */
function content(unit: Unit): Record<string, unknown> {
  const { review: _review, ...rest } = unit;
  void _review;
  if (rest.evidence && typeof rest.evidence === 'object') {
    const { found: _found, ...evidence } = rest.evidence as Evidence;
    void _found;
    rest.evidence = evidence;
  }
  return rest;
}

const isEmptyField = (c: Record<string, unknown> | undefined): boolean => c !== undefined && 'value' in c && c.value === null && c.evidence === null;

function requireEvidencePage(unit: Unit, path: string, what: string): void {
  const ev = unit.evidence as Partial<Evidence> | null;
  if (!ev || typeof ev !== 'object' || typeof ev.page !== 'number') {
    throw new CorrectionError('EvidenceRequired', `${path}: ${what} needs evidence.page, the page it is on`);
  }
  if (typeof ev.quote !== 'string') ev.quote = '';
}

function checkPage(unit: Unit, path: string, pageCount: number): void {
  const page = unit.evidence?.page;
  if (typeof page === 'number' && !(Number.isInteger(page) && page >= 1 && page <= pageCount)) {
    throw new CorrectionError('ContractViolation', `${path}: evidence.page ${page} is not a page of this document (it has ${pageCount})`);
  }
}

/** The review a touched existing value ends with, or undefined when nothing about it changed. */
function reviewAfter(before: Unit, after: Unit, by: string, at: string): ValueReview | undefined {
  const prev = before.review ?? { state: 'unreviewed' as const };
  const requested = after.review?.state !== prev.state ? after.review?.state : undefined;
  const contentBefore = content(before);
  const contentAfter = content(after);
  const contentChanged = !isDeepStrictEqual(contentBefore, contentAfter);
  if (!contentChanged && requested === undefined) return undefined;
  if (prev.state === 'added') return { state: requested === 'rejected' ? 'rejected' : 'added', by, at };
  const machine = (prev.original as Record<string, unknown> | undefined) ?? contentBefore;
  if (isDeepStrictEqual(contentAfter, machine)) return { state: requested ?? (contentChanged ? 'unreviewed' : prev.state), by, at };
  const state: ValueReviewState = requested === 'rejected' ? 'rejected' : isEmptyField(machine) ? 'added' : 'corrected';
  return { state, by, at, original: machine };
}

/**
 * Applies a person's patch to the current version. Throws `CorrectionError` (and changes nothing) when an
 * operation targets nothing, a `test` fails, the patched result breaks the extraction contract, or it
 * writes what only the system may write.
 */
export function applyCorrection(current: Extraction, ops: readonly PatchOperation[], ctx: CorrectionContext): Correction {
  const stored = withoutBlankReviews(current);
  const work = withReviewStates(stored);
  const snapshot = structuredClone(work);
  const expanded = checkedOperations(ops, work);

  const itemHome = new Map<object, { section: ListSection; index: number }>();
  for (const section of LIST_SECTIONS) work[section].forEach((item, index) => itemHome.set(item, { section, index }));

  applyOperations(work, expanded, ops);

  const by = ctx.by;
  const at = ctx.at.toISOString();
  const changes: ValueChange[] = [];
  const record = (path: string, before: Unit | undefined, after: Unit) => {
    const evidence = (u: Unit | undefined) => (u?.evidence ? { ...u.evidence } : null);
    changes.push({ path, state: after.review!.state, evidenceBefore: evidence(before), evidenceAfter: evidence(after) });
  };
  const settle = (path: string, before: Unit, after: Unit) => {
    const review = reviewAfter(before, after, by, at);
    if (!review) {
      if (before.review) after.review = before.review;
      return;
    }
    if (!isDeepStrictEqual(content(before).evidence, content(after).evidence) && after.evidence) delete after.evidence.found;
    for (const key of MACHINE_KEYS) {
      if (key in before) after[key] = before[key];
      else delete after[key];
    }
    after.review = review;
    if (review.state === 'added') requireEvidencePage(after, path, 'a value a person adds');
    checkPage(after, path, ctx.pageCount);
    record(path, before, after);
  };

  for (const group of SCALAR_GROUPS) {
    const fields = work[group] as Record<string, Unit>;
    const was = snapshot[group] as Record<string, Unit>;
    for (const key of Object.keys(was)) {
      const after = fields[key];
      if (!after || typeof after !== 'object') throw new CorrectionError('ContractViolation', `/${group}/${key}: a field is an object`);
      settle(`/${group}/${escapeSegment(key)}`, was[key]!, after);
    }
  }

  for (const section of LIST_SECTIONS) {
    const list = work[section] as unknown[];
    if (!Array.isArray(list)) throw new CorrectionError('ContractViolation', `/${section}: a section is a list`);
    const kept = new Set<number>();
    list.forEach((item, index) => {
      const path = `/${section}/${index}`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new CorrectionError('ContractViolation', `${path}: a list item is an object`);
      const home = itemHome.get(item);
      const unit = item as Unit;
      if (home && home.section === section && !kept.has(home.index)) {
        kept.add(home.index);
        settle(path, snapshot[section][home.index] as unknown as Unit, unit);
        return;
      }
      // A new item: a person's reading of the page
      delete unit.reasons;
      unit.confidence = 1;
      if (unit.evidence && typeof unit.evidence === 'object') delete unit.evidence.found;
      unit.review = { state: 'added', by, at };
      requireEvidencePage(unit, path, 'an item a person adds');
      checkPage(unit, path, ctx.pageCount);
      record(path, undefined, unit);
    });
    snapshot[section].forEach((item, index) => {
      if (kept.has(index)) return;
      if ((item as unknown as Unit).review?.state !== 'added') {
        throw new CorrectionError(
          'NotCorrectable',
          `/${section}/${index}: an extracted item cannot be removed; set its review/state to rejected, so its history stays`,
        );
      }
    });
  }

  let next: Extraction;
  try {
    // A nullable part left out of an added item (a lab row's `loinc`) is null.
    next = parseStoredExtraction(withoutBlankReviews(work));
  } catch (err) {
    if (err instanceof ExtractionShapeError)
      throw new CorrectionError('ContractViolation', `the corrected result breaks the extraction contract: ${err.message}`);
    throw err;
  }
  return { next, effect: compare(stored, next) as PatchEffect, changes };
}
