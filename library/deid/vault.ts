/**
 * A document's vault: every identifier found in it, grouped into entities (one person however often and in
 * whatever form printed; one number whatever its separators; one calendar day whatever its format), each
 * with its typed stand-in token, and how the dates are hidden (shifted by one hidden per-document offset,
 * or tokenised). Built once per document from the detector's spans and the local extractor's identifier
 * fields; serialisable (it is sealed and kept in Postgres by the caller), never logged.
 */
import { randomInt } from 'node:crypto';
import { CODE_LIKE, type ParsedName, type PhiCategory, type PhiSpan } from './types.js';
import { parseName } from './detect.js';
import { dayNumber, documentDayOrder, fromDayNumber, isoDay, readPrintedDate, shiftDay, type CalendarDay } from './dates.js';

/** How dates are hidden: moved by one hidden offset and printed as before (default), or replaced by tokens. */
export type DateMode = 'shift' | 'token';

export interface VaultEntity {
  /** The stand-in, e.g. `[[PERSON_1]]`. */
  token: string;
  category: PhiCategory;
  /** Every form the entity was printed in (longest first). */
  originals: string[];
  /** PERSON: names that stand for the person on their own (family names; given names that are no common word). */
  nameParts?: string[];
  /** DATE: the calendar day (YYYY-MM-DD) when the printed form could be read. */
  iso?: string;
  /** DATE: printed as a month and year only ("March 2025"). */
  monthOnly?: boolean;
  /** DATE in shift mode: each printed form → the same form of the shifted day (forms that could not be read are tokenised). */
  shifted?: Record<string, string>;
}

/** A field the local extractor read (value and where it is printed), kept so the external model is never asked for it. */
export interface LocalField {
  value: string | null;
  evidence: { page: number; quote: string } | null;
  confidence: number;
}

/** The identifier fields, as the local extractor read them from the original text. */
export interface LocalIdentifiers {
  patient: { name: LocalField; date_of_birth: LocalField; mrn: LocalField };
  insurance: { member_id: LocalField; group_number: LocalField };
}

export interface Vault {
  version: 1;
  dates: DateMode;
  /** Days every date is moved by (0 in token mode): hidden, per document. */
  offsetDays: number;
  entities: VaultEntity[];
  identifiers: LocalIdentifiers;
}

/** Entities per category: what the result, the workbook and the audit log record (no values). */
export type DeidCounts = Partial<Record<PhiCategory, number>>;

export interface BuildVaultOptions {
  dates?: DateMode;
  /** Identifier fields as the local extractor read them: their values join the vault (a second detector). */
  identifiers: LocalIdentifiers;
  /** Is `word` a common English word (so a given name like "Will" does not stand for its person alone)? */
  isCommonWord?: (word: string) => boolean;
  /** Draws the date offset (default: crypto's randomInt). */
  random?: (min: number, max: number) => number;
  now?: Date;
}

/** Letters and digits only, lower case: the identity of a code-like value. */
export const skeleton = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

const collapse = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ').trim();

/** Lower-case joints of family names: no name on their own. */
const NAME_PARTICLES = new Set([
  'de',
  'la',
  'del',
  'della',
  'der',
  'den',
  'van',
  'von',
  'da',
  'das',
  'dos',
  'di',
  'du',
  'le',
  'bin',
  'ibn',
  'al',
  'el',
  'st',
  'y',
]);

/** The shortest offset, in days, either way: small enough to keep seasons roughly, large enough to hide the day. */
const MIN_OFFSET = 30;
const MAX_OFFSET = 365;

export function buildVault(spans: readonly PhiSpan[], options: BuildVaultOptions): Vault {
  const mode = options.dates ?? 'shift';
  const isCommon = options.isCommonWord ?? (() => false);
  const now = options.now ?? new Date();
  const order = documentDayOrder(spans.filter((s) => s.category === 'DATE').map((s) => s.text));
  const entities: VaultEntity[] = [];
  const byKey = new Map<string, VaultEntity>();
  const counters = new Map<PhiCategory, number>();
  const people: Array<{ entity: VaultEntity; family: Set<string>; given: Set<string>; initial: string | undefined }> = [];

  const newEntity = (category: PhiCategory, key: string | undefined): VaultEntity => {
    const n = (counters.get(category) ?? 0) + 1;
    counters.set(category, n);
    const entity: VaultEntity = { token: `[[${category}_${n}]]`, category, originals: [] };
    entities.push(entity);
    if (key !== undefined) byKey.set(key, entity);
    return entity;
  };
  const addOriginal = (entity: VaultEntity, text: string) => {
    const t = text.trim();
    if (t && !entity.originals.includes(t)) entity.originals.push(t);
  };

  const person = (text: string, name: ParsedName | undefined) => {
    // Family names by their pieces ("de la Cruz" and "CRUZ" are one family), particles aside.
    const family = (name?.family ?? [])
      .flatMap((f) => [f, ...f.split(/[-\s]+/)])
      .map((f) => f.toLowerCase())
      .filter((f) => f && !NAME_PARTICLES.has(f));
    const given = (name?.given ?? []).map((g) => g.toLowerCase());
    const initial = given[0]?.[0];
    // The same family name and no other first initial: the same person ("Mr Allen", "ALLEN, ROBERT K.", "R. Allen").
    let match = family.length
      ? people.find((p) => family.some((f) => p.family.has(f)) && (initial === undefined || p.initial === undefined || p.initial === initial))
      : people.find((p) => given.some((g) => p.given.has(g) || p.family.has(g)));
    if (!match) {
      match = { entity: newEntity('PERSON', undefined), family: new Set(), given: new Set(), initial };
      people.push(match);
    }
    family.forEach((f) => match.family.add(f));
    given.forEach((g) => match.given.add(g));
    match.initial ??= initial;
    addOriginal(match.entity, text);
    const parts = new Set(match.entity.nameParts ?? []);
    // "de la Cruz" stands for its person as a whole and as "Cruz", never as "de" or "la".
    for (const f of name?.family ?? []) {
      for (const piece of [f, ...f.split(/[-\s]/)]) if (!NAME_PARTICLES.has(piece.toLowerCase()) && piece.replace(/\W/g, '').length >= 2) parts.add(piece);
    }
    for (const g of name?.given ?? []) if (g.replace(/\W/g, '').length >= 3 && !isCommon(g)) parts.add(g);
    match.entity.nameParts = [...parts];
  };

  const other = (category: PhiCategory, text: string) => {
    let key: string;
    if (category === 'DATE') {
      const printed = readPrintedDate(text, order, now);
      key = printed ? `date:${isoDay(printed.day)}${printed.monthOnly ? ':m' : ''}` : `date-text:${collapse(text)}`;
    } else if (CODE_LIKE.has(category)) key = `code:${skeleton(text)}`;
    else key = `${category}:${collapse(text)}`;
    const entity = byKey.get(key) ?? newEntity(category, key);
    if (category === 'DATE' && entity.iso === undefined) {
      const printed = readPrintedDate(text, order, now);
      if (printed?.monthOnly) entity.monthOnly = true;
      else if (printed) entity.iso = isoDay(printed.day);
    }
    addOriginal(entity, text);
  };

  const ordered = [...spans].sort((a, b) => a.page - b.page || a.start - b.start);
  // Full names first, so that a surname printed alone joins the person it belongs to, wherever it comes.
  const full = (s: PhiSpan) => s.category === 'PERSON' && (s.name?.family.length ?? 0) > 0 && (s.name?.given.length ?? 0) > 0;
  for (const s of ordered) if (full(s)) person(s.text, s.name);
  for (const s of ordered) if (s.category === 'PERSON' && !full(s)) person(s.text, s.name);
  for (const s of ordered) if (s.category !== 'PERSON') other(s.category, s.text);
  addIdentifiers(options.identifiers, { person, other });

  for (const e of entities) e.originals.sort((a, b) => b.length - a.length || a.localeCompare(b));
  const offsetDays = mode === 'shift' ? chooseOffset(entities, options.random ?? randomInt) : 0;
  if (mode === 'shift') {
    for (const e of entities.filter((x) => x.category === 'DATE')) {
      const shifted: Record<string, string> = {};
      for (const original of e.originals) {
        const printed = readPrintedDate(original, order, now);
        if (printed) shifted[original] = printed.print(shiftDay(printed.day, offsetDays, printed.monthOnly));
      }
      e.shifted = shifted;
    }
  }
  return { version: 1, dates: mode, offsetDays, entities, identifiers: options.identifiers };
}

function addIdentifiers(
  ids: LocalIdentifiers,
  add: { person: (text: string, name: ParsedName | undefined) => void; other: (category: PhiCategory, text: string) => void },
) {
  const name = ids.patient.name.value;
  if (name) add.person(name, parseName(name) ?? splitName(name));
  if (ids.patient.date_of_birth.evidence) {
    // The printed form of the birth date is in its quote; the value is ISO, which the text may not print.
    const printed = datesIn(ids.patient.date_of_birth.evidence.quote);
    for (const d of printed) add.other('DATE', d);
  }
  if (ids.patient.mrn.value) add.other('MRN', ids.patient.mrn.value);
  if (ids.insurance.member_id.value) add.other('PLAN_ID', ids.insurance.member_id.value);
  if (ids.insurance.group_number.value) add.other('PLAN_ID', ids.insurance.group_number.value);
}

/** A name the local extractor returned, split into given and family names ("GARCIA, MARIA L" or "Maria L Garcia"). */
export function splitName(text: string): ParsedName {
  const clean = text.replace(/\b(?:dr|mr|mrs|ms|miss|prof)\.?\s+/gi, '').trim();
  const comma = clean.indexOf(',');
  const words = (s: string) => s.split(/\s+/).filter((w) => w.replace(/\W/g, '').length > 0);
  if (comma > 0) return { family: words(clean.slice(0, comma)), given: words(clean.slice(comma + 1)).map((w) => w.replace(/\.$/, '')) };
  const all = words(clean);
  return { family: all.slice(-1), given: all.slice(0, -1).map((w) => w.replace(/\.$/, '')) };
}

/** Date-looking stretches of a quote (numeric and spelled-out), for the local birth date's printed form. */
function datesIn(quote: string): string[] {
  const month = String.raw`(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?`;
  const re = new RegExp(
    String.raw`\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?[\s-]+(?:of\s+)?${month}[\s,-]+\d{2,4}|${month}\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b`,
    'gi',
  );
  return [...quote.matchAll(re)].map((m) => m[0]);
}

/**
 * A random offset of MIN..MAX days either way under which no date of the document lands on another of its
 * dates: a shifted date then never prints as an original one, so the guard can treat every original date
 * it sees in outgoing text as a leak.
 */
function chooseOffset(entities: readonly VaultEntity[], random: (min: number, max: number) => number): number {
  const days = new Set(entities.filter((e) => e.iso).map((e) => dayNumber(parseIso(e.iso!))));
  for (let attempt = 0; ; attempt++) {
    const magnitude = random(MIN_OFFSET, MAX_OFFSET + 1);
    const offset = random(0, 2) === 0 ? -magnitude : magnitude;
    if (attempt > 200 || ![...days].some((d) => days.has(d + offset))) return offset;
  }
}

function parseIso(iso: string): CalendarDay {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return { y, m, d };
}

/** Entities per category. */
export function vaultCounts(vault: Vault): DeidCounts {
  const counts: DeidCounts = {};
  for (const e of vault.entities) counts[e.category] = (counts[e.category] ?? 0) + 1;
  return counts;
}

/** The day an ISO value names, moved back by the vault's offset (shift mode), e.g. for a date the model normalised. */
export function unshiftIsoDay(iso: string, vault: Vault): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return undefined;
  return isoDay(fromDayNumber(dayNumber({ y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) }) - vault.offsetDays)) + iso.slice(10);
}
