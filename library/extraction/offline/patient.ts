/** Patient name, date of birth, sex and MRN, from labelled values validated for their field. */
import type { Extraction, Sex } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { LabelValue } from './labels.js';
import { bareKey, LABEL_OF } from './labels.js';
import { NAME_STOP_WORDS } from './lexicon.js';
import type { Candidate } from './lines.js';
import { best, lineEvidence, spanEvidence } from './lines.js';
import { isBlank, isStandIn } from './text.js';

const NAME_STOP = new Set(NAME_STOP_WORDS);
const PERSON_STAND_IN = /^(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+)?\[\[PERSON_\d+\]\]$/;

/** A person's name as printed ("John Doe", "Doe, John A", "Dr. Ananya Rao"), or null. */
export function cleanPersonName(raw: string, minWords = 2): string | null {
  const v = raw.replace(/\s+/g, ' ').trim().replace(/[,;]$/, '');
  // De-identified text (library/deid) names a person by a stand-in: it is a whole name.
  if (PERSON_STAND_IN.test(v)) return v;
  if (v.length < 2 || v.length > 60 || isBlank(v)) return null;
  if (/[_\d@()[\]{}:|<>=]/.test(v)) return null;
  const words = v.split(' ');
  if (words.length < minWords || words.length > 6) return null;
  for (const w of words) {
    if (!/^[\p{L}][\p{L}'’.-]*,?$/u.test(w)) return null;
    if (NAME_STOP.has(w.toLowerCase().replace(/[.,'’]/g, ''))) return null;
  }
  if (!/\p{Lu}/u.test(v)) return null;
  return v;
}

/** A record number: one token with a digit, not a template ("XXXX-1234"). */
function cleanMrn(raw: string): string | null {
  const v = raw
    .trim()
    .replace(/^#\s*/, '')
    .replace(/[.,;]$/, '');
  if (isStandIn(v)) return v;
  if (!/^[A-Za-z0-9][A-Za-z0-9\-/.]{2,29}$/.test(v)) return null;
  if (!/\d/.test(v) || /x{3,}/i.test(v)) return null;
  return v;
}

const SEX_WORDS: ReadonlyArray<[Sex, RegExp]> = [
  ['F', /\b(female|woman|f)\b/i],
  ['M', /\b(male|man|m)\b/i],
  ['other', /\b(other|non-?binary|intersex)\b/i],
];

/**
 * "Male", "F", "49 yrs / Male". A value offering several options ("M / F", "☐ Male ☐ Female") is a
 * blank form's choice list: null, unless exactly one option is ticked ("☒ Female ☐ Male").
 */
function parseSex(raw: string): Sex | null {
  const v = raw.trim();
  const hits = SEX_WORDS.filter(([, re]) => re.test(v));
  if (hits.length === 1) return hits[0]![0];
  if (hits.length === 0) return null;
  const ticked = SEX_WORDS.filter(([, re]) => new RegExp(`(?:[☒☑✔✓■●]|\\[\\s*[xX✓]\\s*\\]|\\(\\s*[xX]\\s*\\))\\s*${re.source}`, 'i').test(v));
  return ticked.length === 1 ? ticked[0]![0] : null;
}

/** The most confident labelled value of each patient field; a name may be assembled from first and last name. */
export function patientFields(kvs: LabelValue[], dates: DateContext): Extraction['patient'] {
  const names: Array<Candidate<string>> = [];
  const dobs: Array<Candidate<string>> = [];
  const sexes: Array<Candidate<Sex>> = [];
  const mrns: Array<Candidate<string>> = [];
  const firsts: LabelValue[] = [];
  const lasts: LabelValue[] = [];
  for (const kv of kvs) {
    const field = LABEL_OF.get(kv.key) ?? LABEL_OF.get(bareKey(kv.key));
    const penalty = kv.nextLine ? 0.8 : 1;
    switch (field) {
      case 'name': {
        const v = cleanPersonName(kv.value);
        if (v) names.push({ value: v, line: kv.line, confidence: (kv.key.includes('patient') || kv.key === 'full name' ? 0.95 : 0.85) * penalty });
        break;
      }
      case 'first':
        if (cleanPersonName(kv.value, 1)) firsts.push(kv);
        break;
      case 'last':
        if (cleanPersonName(kv.value, 1)) lasts.push(kv);
        break;
      case 'dob': {
        // A form's boxed date "MM DD YY" is printed with spaces ("07 17 43"), which OCR may close up
        // ("071743", "0717 43"); its SEX box may follow ("07 17 43 F").
        const boxed = /mm\s?dd\s?yy/.test(kv.key)
          ? /^(?:(\d{1,2})\s+(\d{1,2})\s+|(\d{2})\s?(\d{2})\s?)(\d{4}|\d{2})(?:\s+([MF]))?\b/i.exec(kv.value.trim())
          : null;
        const [month, day, year, sex] = boxed ? [boxed[1] ?? boxed[3], boxed[2] ?? boxed[4], boxed[5], boxed[6]] : [];
        if (boxed) {
          if (sex && kv.key.includes('sex')) sexes.push({ value: sex.toUpperCase() as Sex, line: kv.line, confidence: 0.8 * penalty });
        }
        const d = parseDate(boxed ? `${month}/${day}/${year}` : kv.value, { ...dates, order: boxed ? 'mdy' : dates.order });
        // A date of birth in the future is some other date.
        if (d && d.start <= 2 && d.iso.slice(0, 4) <= String(dates.now.getUTCFullYear())) {
          dobs.push({ value: d.iso, line: kv.line, confidence: (d.ambiguous ? 0.7 : 0.95) * penalty });
        }
        break;
      }
      case 'sex': {
        const s = parseSex(kv.value);
        if (s && kv.value.length <= 30) sexes.push({ value: s, line: kv.line, confidence: (kv.key.includes('/') ? 0.85 : 0.95) * penalty });
        break;
      }
      case 'mrn': {
        const v = cleanMrn(kv.value.split(/\s/)[0] ?? '');
        if (v && kv.value.trim().split(/\s+/).length === 1) {
          const strong = kv.key.startsWith('mrn') || kv.key.includes('medical record') || kv.key.startsWith('mr ');
          mrns.push({ value: v, line: kv.line, confidence: (strong ? 0.95 : 0.7) * penalty });
        }
        break;
      }
      default:
        break; // a label of some other part of the document
    }
  }
  if (names.length === 0 && firsts.length > 0 && lasts.length > 0) {
    const f = firsts[0]!;
    const l = lasts[0]!;
    // Evidence is verbatim page text: both lines when they are neighbours, else the last-name line.
    const full = `${cleanPersonName(f.value, 1)} ${cleanPersonName(l.value, 1)}`;
    const [a, b] = f.line.offset <= l.line.offset ? [f.line, l.line] : [l.line, f.line];
    const evidence = a === b ? lineEvidence(a) : a.page === b.page && b.index - a.index <= 2 ? spanEvidence(a, b) : lineEvidence(l.line);
    names.push({ value: full, line: l.line, evidence, confidence: 0.8 });
  }
  return { name: best(names), date_of_birth: best(dobs), age: best([]), sex: best(sexes), mrn: best(mrns) };
}
