/**
 * The PHI detector: every identifier in the page text of a document, found in layers, before the text goes
 * to an external LLM.
 *
 * 1. Structure: the value after a label of a category, on the same line (after ":" or a column gap) or in
 *    the column under it ("Patient: GARCIA, MARIA", a header row "Patient Name   DOB   MRN" over its values).
 * 2. Check digits: NHS numbers, payment cards, NPIs are flagged wherever they are printed.
 * 3. Formats: dates, ages over 89, phones, e-mail, URLs, IPs, SSNs, street lines, towns and ZIPs, VINs, ids.
 * 4. Dictionary: capitalised runs of dictionary names, titles before names.
 * 5. Aliases: every other mention of a person found (family name alone, other orders and cases) and every
 *    other printing of a number found (same digits, other separators).
 *
 * Overlapping finds keep the longer (ties: the more specific category). Clinical content (codes, values,
 * ranges, drugs, tests, organisations, years) is kept out by the shapes each layer refuses.
 */
import {
  foldWord,
  isClinicalWord,
  isCommonWord,
  isInitialToken,
  isNameShaped,
  isOrganisationWord,
  isParticle,
  isTitle,
  loadNameDictionary,
  nameClass,
  parseName,
  readName,
  tokenize,
  type NameEvidence,
  type NameRead,
  type Token,
} from './names.js';
import {
  compactDateAt,
  findAddresses,
  findAges,
  findDates,
  findNetwork,
  findNumbers,
  findPhones,
  isStreetSuffix,
  STATE_SET,
  STREET_SUFFIX_SET,
  type Found,
} from './patterns.js';
import { CODE_LIKE, type DeidPage, type ParsedName, type PhiCategory, type PhiSpan } from './types.js';
import {
  COUNTRIES,
  EPONYM_HEADS,
  GENERIC_LABEL_WORDINGS,
  LABEL_ABBREVIATIONS,
  LABEL_WORDINGS,
  NAME_PART_LABEL_WORDINGS,
  PERSON_VERBS,
  PLACE_CUES,
  PLACE_PREFIXES,
  PLACE_WORDS,
  RELATION_WORDS,
  type LabelKind,
} from './vocabulary.js';

export { loadNameDictionary, parseName };

interface Candidate extends Found {
  name?: ParsedName;
}

// ---------------------------------------------------------------- layout

/** A run of text on one line between column gaps (2+ spaces, tabs, "|"). `col` is its column on the line. */
interface Cell {
  start: number;
  end: number;
  col: number;
}

interface Line {
  start: number;
  end: number;
  cells: Cell[];
}

function layout(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const printed = text.slice(start, end).replace(/[\t|\r]/g, ' ');
    const cells: Cell[] = [];
    for (const m of printed.matchAll(/\S+(?: \S+)*/g)) cells.push({ start: start + m.index, end: start + m.index + m[0].length, col: m.index });
    lines.push({ start, end, cells });
    start = end + 1;
  }
  return lines;
}

// ---------------------------------------------------------------- labels

const ABBREVIATIONS = new Set(LABEL_ABBREVIATIONS);

const GENERIC_LABELS = new Set(GENERIC_LABEL_WORDINGS.map((w) => labelKey(w)));
const NAME_PART_LABELS = new Set(NAME_PART_LABEL_WORDINGS.map((w) => labelKey(w)));

/** Visits and encounters: their 5-digit "number" is the procedure code of the visit. */
const VISIT_LABELS = new Set(['visit', 'encounter'].map((w) => labelKey(w)));

/**
 * A label as a lookup key: lower case, letters only, with the letters OCR confuses folded together
 * ("Patlent", "D0B", "1D" read as "patient", "dob", "id").
 */
function labelKey(s: string): string {
  return s
    .toLowerCase()
    .replace(/#|№|n°|\b(?:number|num|nbr|nr)\b/g, ' no ')
    .replace(/['’]s\b/g, '')
    .replace(/[i1|!]/g, 'l')
    .replace(/0/g, 'o')
    .replace(/[^a-z]/g, '');
}

/** A letter of a label word, or the characters OCR prints for it. */
const ocrLetter = (c: string): string => ({ i: '[il1|!]', l: '[li1|]', o: '[o0]' })[c] ?? escape(c);

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function wordPattern(word: string): string {
  // "Record No", "Record #", "Record Number" are one label.
  if (word === 'no' || word === 'number') return String.raw`(?:n[o0]\.?|#|nr\.?|nbr\.?|num(?:ber)?\.?|n°|№)`;
  const bare = word.replace(/['’]s$/, '');
  // OCR confusions are read into words of four letters or more; in a short word "l" for "i" is another word ("LD", "ID").
  const letter = (c: string) => (bare.length >= 4 ? ocrLetter(c) : c === 'o' ? '[o0]' : escape(c));
  const core = ABBREVIATIONS.has(bare)
    ? [...bare].map(letter).join(String.raw`\.?[ ]?`)
    : [...bare].map((c) => (c === '-' ? String.raw`[- ]?` : c === '/' ? String.raw`[ ]?\/[ ]?` : letter(c))).join('');
  return String.raw`${core}(?:['’]?s)?\.?`;
}

const LABEL_KINDS = new Map<string, LabelKind>();
const PERSON_LABEL_WORDS = new Set<string>();
/**
 * The label wordings as sticky regexes, one per first two letters of the wording: a word start of a cell
 * is tried only against the wordings that can start there.
 */
const LABEL_RES = (() => {
  const byKey = new Map<string, string[]>();
  for (const [kind, wordings] of Object.entries(LABEL_WORDINGS) as Array<[LabelKind, readonly string[]]>) {
    for (const wording of wordings) {
      const key = labelKey(wording);
      if (!LABEL_KINDS.has(key)) LABEL_KINDS.set(key, kind);
      if (kind === 'PERSON' && !wording.includes(' ')) PERSON_LABEL_WORDS.add(key);
      const pattern = wording
        .split(' ')
        .map(wordPattern)
        .join(String.raw`(?:[ ]{1,2}|[ ]?[._\-/][ ]?)`);
      const first = key.slice(0, 2);
      byKey.set(first, [...(byKey.get(first) ?? []), pattern]);
    }
  }
  const suffix = String.raw`((?:[ ]?(?:#|no\.?|nr\.?|nbr\.?|num\.?|number|n°|№|id|i\.d\.)(?![\p{L}]))?)`;
  // A parenthesised hint ("(Last, First)"), dot leaders or underscores of a form, then the colon.
  const separator = String.raw`((?:[ ]{0,2}\([^)\n]{0,60}\))?(?:[ ]?[._]{2,40})?[ ]{0,3}(?:[:;=#]|[-–](?=[ ]))?)`;
  const res = new Map<string, RegExp>();
  for (const [key, patterns] of byKey) {
    patterns.sort((a, b) => b.length - a.length);
    res.set(key, new RegExp(String.raw`(${patterns.join('|')})(?![\p{L}\d])${suffix}${separator}`, 'iuy'));
  }
  return res;
})();

/** The label regexes that may match at `at`: by the first two letters, read plainly and read through dots ("D.O.B."). */
function labelRegexesAt(text: string, at: number): RegExp[] {
  // The first two letters as labelKey folds them: plainly ("Patient"), and skipping dots and spaces ("D.O.B.").
  let plain = '';
  let dotted = '';
  for (let k = at; k < at + 4 && k < text.length && dotted.length < 2; k++) {
    const c = text[k]!.toLowerCase();
    const folded = c === 'i' || c === '1' || c === '|' || c === '!' ? 'l' : c === '0' ? 'o' : c;
    const letter = folded >= 'a' && folded <= 'z';
    if (k < at + 2 && letter && plain.length === k - at) plain += folded;
    if (letter) dotted += folded;
    else if (c !== '.' && c !== ' ') break;
  }
  const out: RegExp[] = [];
  const first = LABEL_RES.get(plain);
  if (first) out.push(first);
  if (dotted !== plain) {
    const second = LABEL_RES.get(dotted);
    if (second) out.push(second);
  }
  return out;
}

interface LabelHit {
  kind: LabelKind;
  key: string;
  /** Start of the label; end of the label with its separator (where an inline value starts). */
  start: number;
  end: number;
  /** End of the label words themselves (for the column a value under it is looked for in). */
  wordsEnd: number;
  separated: boolean;
  /** Several words ("referred by", "next of kin"): a label even without a colon. */
  phrase: boolean;
}

function labelKind(core: string, suffix: string): LabelKind | undefined {
  const key = labelKey(core);
  const kind = LABEL_KINDS.get(key);
  if (!suffix.trim() || kind === undefined) return kind;
  // "Patient #", "Member No.", "Subscriber Number": a number of that person, not the person.
  const withNumber = ['no', 'number', 'id'].map((s) => LABEL_KINDS.get(key + labelKey(s))).find((k) => k !== undefined);
  if (withNumber) return withNumber;
  return kind === 'PERSON' || kind === 'PERSON_WEAK' || kind === 'NONE' ? 'ID' : kind;
}

const labelCache = new WeakMap<Cell, LabelHit[]>();

function labelsIn(text: string, cell: Cell): LabelHit[] {
  const cached = labelCache.get(cell);
  if (cached) return cached;
  const cellText = text.slice(cell.start, cell.end);
  const hits: LabelHit[] = [];
  let from = 0;
  for (const w of cellText.matchAll(/(?<![\p{L}\d])\p{L}/gu)) {
    if (w.index < from) continue;
    let m: RegExpExecArray | null = null;
    for (const re of labelRegexesAt(cellText, w.index)) {
      re.lastIndex = w.index;
      const found = re.exec(cellText);
      if (found && (!m || found[0].length > m[0].length)) m = found;
    }
    if (!m) continue;
    const [whole, core = '', suffix = '', separator = ''] = m;
    const kind = labelKind(core, suffix);
    if (!kind) continue;
    const key = labelKey(core);
    const prefix = cellText.slice(0, m.index);
    const atStart = /^(?:\(?\d{1,2}[a-z]?[.)]?[ ]{0,2}|[-•*>·][ ]?)?$/i.test(prefix);
    const separated = /[:;=#\-–]|[._]{2}/.test(separator) || suffix.includes('#');
    const previousWord = /(\p{L}+)[ ]$/u.exec(prefix)?.[1];
    if (previousWord && GENERIC_LABELS.has(key) && !(key === labelKey('name') && PERSON_LABEL_WORDS.has(labelKey(previousWord)))) continue;
    const phrase = core.trim().includes(' ') || /\bby$/i.test(core.trim());
    if (!atStart && !separated) {
      // Mid-sentence, labels of free text ("the patient", "Baker Street", "none") are just words.
      if (kind === 'NONE' || kind === 'ADDRESS' || kind === 'PLACE' || kind === 'ZIP') continue;
      if ((kind === 'PERSON' || kind === 'PERSON_WEAK') && !phrase) continue;
    }
    hits.push({
      kind,
      key,
      start: cell.start + m.index,
      end: cell.start + m.index + whole.length,
      wordsEnd: cell.start + m.index + core.length,
      separated,
      phrase,
    });
    from = m.index + whole.length;
  }
  labelCache.set(cell, hits);
  return hits;
}

// ---------------------------------------------------------------- labelled values

const COUNTRY_SET = new Set(COUNTRIES);

/** Words that cannot be (part of) a town: labels and headings, street words, states, countries. */
function notPlace(word: string): boolean {
  const key = foldWord(word.replace(/[,.]$/, ''));
  if (!key || /\d/.test(key)) return true;
  if (STREET_SUFFIX_SET.has(key) || STATE_SET.has(key) || COUNTRY_SET.has(key)) return true;
  return nameClass(word) === 'stop' && !PLACE_WORD_SET.has(key);
}

const PLACE_WORD_SET = new Set(PLACE_WORDS);
const PLACE_CUE_RE = new RegExp(String.raw`\b(?:${PLACE_CUES.join('|')})\b`, 'gi');
const PLACE_AFTER_RE = /\b(?:in|of|at|to|from|near)[ ]((?:\p{Lu}[\p{L}.'’-]{1,24}[ ]?){1,3})/gu;

/** One to four capitalised words that may name a town ("Kansas City", "Leeds"), and not just a state or a country. */
function isPlaceWords(s: string): boolean {
  const words = s.trim().split(/\s+/);
  const whole = s.trim().toLowerCase();
  if (STATE_SET.has(whole) || COUNTRY_SET.has(whole)) return false;
  return (
    words.length >= 1 &&
    words.length <= 4 &&
    words.every(
      (w, i) =>
        /^\p{Lu}[\p{L}.'’-]*$/u.test(w) &&
        // A town's last word may be a street word ("Ashford Glen"), never its only word.
        (!notPlace(w) || STATE_SET.has(foldWord(w)) || (i === words.length - 1 && i > 0 && isStreetSuffix(w) && nameClass(w) !== 'stop')),
    )
  );
}

/** Towns in prose, after a cue ("born in Springfield", "lives in Leeds", "born 14 March 1932 in Salem"). */
function placesInProse(text: string): Candidate[] {
  const out: Candidate[] = [];
  PLACE_CUE_RE.lastIndex = 0;
  for (let cue = PLACE_CUE_RE.exec(text); cue; cue = PLACE_CUE_RE.exec(text)) {
    const from = cue.index + cue[0].length;
    const window = /^[^.\n]{0,60}/.exec(text.slice(from, from + 60))![0];
    PLACE_AFTER_RE.lastIndex = 0;
    for (let m = PLACE_AFTER_RE.exec(window); m; m = PLACE_AFTER_RE.exec(window)) {
      const words = m[1]!.trim().split(' ');
      while (words.length && notPlace(words[words.length - 1]!) && !(words.length >= 2 && isPlaceWords(words.join(' ')))) words.pop();
      const town = words.join(' ');
      if (!town || !isPlaceWords(town)) continue;
      const start = from + m.index + m[0].length - m[1]!.length;
      out.push({ start, end: start + town.length, category: 'PLACE', source: 'pattern' });
      break;
    }
  }
  return out;
}

function valueCandidates(text: string, kind: LabelKind, from: number, to: number, evidence: NameEvidence, key: string): Candidate[] {
  // The separator, and the second half of a combined label ("DOB/Age:", "Sex / DOB:").
  const lead = /^[\s:#=\-–.,;_]*(?:[/&][ ]?\p{L}[\p{L}.]{0,12}[ ]?:?[\s:#=\-–.,;_]*)?/u.exec(text.slice(from, to))![0];
  from += lead.length;
  while (to > from && /[\s,;]/.test(text[to - 1]!)) to--;
  if (from >= to) return [];
  const value = text.slice(from, to);
  const span = (s: number, e: number, category: PhiCategory): Candidate => ({ start: from + s, end: from + e, category, source: 'label' });
  switch (kind) {
    case 'PERSON':
    case 'PERSON_WEAK': {
      const tokens = tokenize(text, from, to);
      const how = kind === 'PERSON_WEAK' ? 'weak-label' : NAME_PART_LABELS.has(key) && evidence === 'label' ? 'name-field' : evidence;
      const read = readName(text, tokens, 0, how) ?? (key === SALUTATION ? salutation(text, tokens) : undefined);
      return read ? [{ start: read.start, end: read.end, category: 'PERSON', source: 'label', name: read.name }] : [];
    }
    case 'DATE': {
      // The date may follow another field's short value ("Sex/DOB: F / 03-14-1962").
      const date = findDates(value)
        .filter((d) => d.start <= 12 && !/\d/.test(value.slice(0, d.start)))
        .sort((a, b) => a.start - b.start || b.end - a.end)[0];
      if (date) return [span(date.start, date.end, 'DATE')];
      const n = compactDateAt(value);
      return n ? [span(0, n, 'DATE')] : [];
    }
    case 'AGE': {
      const m = /^(\d{2,3})(?![\d.])/.exec(value);
      return m && Number(m[1]) > 89 && Number(m[1]) < 130 ? [span(0, m[1]!.length, 'AGE')] : [];
    }
    case 'PHONE':
    case 'FAX': {
      const phones = findPhones(value);
      if (phones.length) return phones.map((p) => span(p.start, p.end, kind));
      const loose = /^\+?\(?\d[\d ().-]{5,18}\d(?![\d])/.exec(value);
      const digits = loose ? loose[0].replace(/\D/g, '').length : 0;
      return loose && digits >= 7 && digits <= 15 ? [span(0, loose[0].length, kind)] : [];
    }
    case 'EMAIL':
    case 'URL':
    case 'IP': {
      const found = findNetwork(value).filter((f) => f.category === kind);
      return found.map((f) => span(f.start, f.end, kind));
    }
    case 'ADDRESS':
      return addressValue(value, from);
    case 'PLACE': {
      const found = findAddresses(value, notPlace).filter((f) => f.category !== 'ADDRESS');
      if (found.length) return found.map((f) => span(f.start, f.end, f.category));
      const words = /^[^,\d]{2,60}/.exec(value)?.[0].trim();
      return words && isPlaceWords(words) ? [span(0, words.length, 'PLACE')] : [];
    }
    case 'ZIP': {
      const m = /^(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z0-9]{2,5}[ -]?[A-Z0-9]{2,5})(?![A-Za-z0-9])/.exec(value);
      return m && /\d/.test(m[0]) ? [span(0, m[0].length, 'ZIP')] : [];
    }
    case 'NONE':
      return [];
    default:
      return idValue(value, kind, key).map(([s, e]) => span(s, e, kind));
  }
}

const SALUTATION = labelKey('dear');

/** "Dear Baker,": the one word a letter is addressed to is a name, whatever else the word means. */
function salutation(text: string, tokens: readonly Token[]): NameRead | undefined {
  const [word, after] = tokens;
  if (!word || !isNameShaped(word) || (after && after.text !== ',') || nameClass(word.text) === 'stop' || nameClass(word.text) === 'word') return undefined;
  return { start: word.start, end: word.end, name: { given: [], family: [word.text] }, next: 1, byDictionary: false };
}

/** The identifier at the start of a labelled value ("00482913", "XYZ 123456789", "943 476 5919", "***-**-6789"). */
function idValue(value: string, kind: PhiCategory, key: string): Array<[number, number]> {
  if (kind === 'SSN') {
    const m = /^[\dX*]{3}[ -]?[\dX*]{2}[ -]?\d{4}(?![\d])/i.exec(value);
    return m ? [[0, m[0].length]] : [];
  }
  if (kind === 'NHS') {
    const m = /^\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d])/.exec(value);
    return m ? [[0, m[0].length]] : [];
  }
  const m = /^(?:[A-Z]{1,4}[ -])?[A-Za-z0-9(][A-Za-z0-9/.#*()-]{0,59}(?:[ ]\d[0-9A-Za-z-]{0,14}){0,4}/.exec(value);
  if (!m) return [];
  let id = m[0].replace(/[.\-/#*]+$/, '');
  // A closing bracket of the sentence around the value is no part of it ("(NPI 1234567893)").
  while (id.endsWith(')') && (id.match(/\(/g)?.length ?? 0) < (id.match(/\)/g)?.length ?? 0)) id = id.slice(0, -1);
  const digits = id.replace(/\D/g, '').length;
  const minDigits = kind === 'DEVICE' || kind === 'VEHICLE' ? 1 : 2;
  if (digits < minDigits) return [];
  if ((/^\d+$/.test(id) && digits < 3) || /^\d+\.\d+$/.test(id)) return [];
  // A lower-case word is prose, not an id ("Visit: follow-up in 2 weeks").
  if (/^[a-z]/.test(id) && !/\d/.test(id.slice(0, 3))) return [];
  // "Office Visit: 99213": the procedure code of a visit is clinical.
  if (VISIT_LABELS.has(key) && /^\d{5}$/.test(id)) return [];
  if (/^(?:19|20)\d\d$/.test(id)) return [];
  // A date is a date, whatever its label ("Visit: 03/14/2025").
  if (findDates(id).some((d) => d.start === 0 && d.end === id.length)) return [];
  return [[0, id.length]];
}

/** A labelled address: the street line, then the town, county and postcode after commas. */
function addressValue(value: string, from: number): Candidate[] {
  const found = findAddresses(value, notPlace).map((f): Candidate => ({ ...f, start: from + f.start, end: from + f.end, source: 'label' }));
  const out = [...found];
  const covered = (s: number, e: number) => found.some((f) => f.start < from + e && f.end > from + s);
  let offset = 0;
  const segments = value.split(',');
  segments.forEach((segment, index) => {
    const lead = segment.length - segment.trimStart().length;
    const s = offset + lead;
    const e = offset + segment.trimEnd().length;
    offset += segment.length + 1;
    const words = value.slice(s, e);
    if (!words || covered(s, e)) return;
    const key = words.toLowerCase();
    if (STATE_SET.has(key) || COUNTRY_SET.has(key)) return;
    const stateZip = /^([A-Z]{2})[ ]{1,2}(\d{5}(?:-\d{4})?)$/.exec(words);
    if (stateZip && STATE_SET.has(stateZip[1]!.toLowerCase())) {
      out.push({ start: from + e - stateZip[2]!.length, end: from + e, category: 'ZIP', source: 'label' });
      return;
    }
    if (/^(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})$/.test(words)) out.push({ start: from + s, end: from + e, category: 'ZIP', source: 'label' });
    else if (/\d/.test(words) || (index === 0 && addressWords(words))) out.push({ start: from + s, end: from + e, category: 'ADDRESS', source: 'label' });
    else if (isPlaceWords(words)) out.push({ start: from + s, end: from + e, category: 'PLACE', source: 'label' });
  });
  return out;
}

/**
 * A street line without a number ("Rose Cottage", "Mill Lane"): a street word, or a few capitalised words.
 * A question or a sentence ("Which arm do you prefer?") is never an address.
 */
function addressWords(words: string): boolean {
  if (/[?!]/.test(words)) return false;
  const list = words.split(/\s+/);
  if (list.some((w) => isStreetSuffix(w)) && /^\p{Lu}/u.test(words)) return true;
  return list.length <= 5 && list.every((w) => /^[\p{Lu}#(]/u.test(w) || FUNCTION_WORD_RE.test(w));
}

const FUNCTION_WORD_RE = /^(?:of|the|and|on|upon|de|la|le|du|van|von)$/;

/** Labels of the patient's identifiers: a line that has one is a header of the patient ("GARCIA, MARIA    MRN: ..."). */
const HEADER_KINDS = new Set<LabelKind>(['MRN', 'NHS', 'SSN', 'PLAN_ID']);
const BIRTH_LABELS = new Set(['dob', 'date of birth', 'birth date', 'birthdate', 'born'].map((w) => labelKey(w)));

/**
 * A cell that is nothing but a name, on a line with the patient's identifiers (a running header or a
 * banner): the patient's name, though no label says so.
 */
function headerNames(text: string, line: Line): Candidate[] {
  const hits = line.cells.map((c) => labelsIn(text, c));
  if (!hits.some((h) => h.some((x) => HEADER_KINDS.has(x.kind) || BIRTH_LABELS.has(x.key)))) return [];
  const out: Candidate[] = [];
  line.cells.forEach((cell, ci) => {
    if (hits[ci]!.length) return;
    const tokens = tokenize(text, cell.start, cell.end);
    if (tokens.length > 7 || tokens.filter((t) => t.kind === 'word').length < 2) return;
    const read = readName(text, tokens, 0, 'label');
    // Words of the dictionary or unknown to it, none an ordinary English word ("Basic Metabolic" is a heading).
    const words = read ? [...read.name.given, ...read.name.family].filter((w) => w.length > 1) : [];
    if (read && read.start === cell.start && read.end >= cell.end - 1 && words.every((w) => nameClass(w) !== 'word'))
      out.push({ start: read.start, end: read.end, category: 'PERSON', source: 'label', name: read.name });
  });
  return out;
}

function labelled(text: string, lines: readonly Line[]): Candidate[] {
  const out: Candidate[] = [];
  lines.forEach((line, li) => {
    out.push(...headerNames(text, line));
    line.cells.forEach((cell, ci) => {
      const hits = labelsIn(text, cell);
      hits.forEach((hit, hi) => {
        if (hit.kind === 'NONE') return;
        const regionEnd = valueEnd(text, hit.end, hits[hi + 1]?.start ?? cell.end);
        const inline = text.slice(hit.end, regionEnd).replace(/[\s:#=\-–.,;]/g, '');
        const personEvidence: NameEvidence = hit.separated || hit.phrase ? 'label' : 'weak-label';
        if (inline) {
          out.push(...valueCandidates(text, hit.kind, hit.end, regionEnd, personEvidence, hit.key));
          return;
        }
        if (hi !== hits.length - 1) return;
        // A bare label: its value is the next cell on the line, or the cell under it.
        const nextCell = line.cells[ci + 1];
        if (nextCell && !labelsIn(text, nextCell).some((h) => h.start === nextCell.start)) {
          const found = valueCandidates(text, hit.kind, nextCell.start, valueEnd(text, nextCell.start, nextCell.end), 'label', hit.key);
          if (found.length) {
            out.push(...found);
            return;
          }
        }
        const below = cellBelow(text, lines, li, hit.start - line.start, hit.wordsEnd - line.start);
        if (below) out.push(...valueCandidates(text, hit.kind, below.start, valueEnd(text, below.start, below.end), 'label', hit.key));
      });
    });
  });
  return out;
}

/** Where an inline value ends: at a "Word:" that starts another field (the word right before a colon). */
function valueEnd(text: string, from: number, to: number): number {
  const region = text.slice(from, to);
  for (const m of region.matchAll(/:(?!\d)/g)) {
    const label = /(?<=[ ,;.])\p{Lu}[\p{L}'#/]{0,20}$/u.exec(region.slice(0, m.index));
    if (label) return from + label.index;
  }
  return to;
}

/** The cell under columns [col, colEnd) on the next non-blank line (the value row of a header). */
function cellBelow(text: string, lines: readonly Line[], li: number, col: number, colEnd: number): Cell | undefined {
  for (let k = li + 1; k < Math.min(lines.length, li + 3); k++) {
    const cells = lines[k]!.cells;
    if (!cells.length) continue;
    let best: Cell | undefined;
    let bestOverlap = 0;
    for (const c of cells) {
      const cEnd = c.col + (c.end - c.start);
      const overlap = Math.min(colEnd, cEnd) - Math.max(col, c.col);
      if (overlap > bestOverlap) {
        best = c;
        bestOverlap = overlap;
      }
    }
    if (!best) best = cells.find((c) => Math.abs(c.col - col) <= 2);
    if (best && labelsIn(text, best).some((h) => h.start === best.start)) return undefined;
    return best;
  }
  return undefined;
}

// ---------------------------------------------------------------- formats

function formats(text: string): Candidate[] {
  return [
    ...findDates(text),
    ...findAges(text),
    ...findPhones(text),
    ...findNetwork(text),
    ...findNumbers(text),
    ...findAddresses(text, notPlace),
    ...placesInProse(text),
  ];
}

/** A unit alone in a cell or on a line: "#7", "Apt 3B", "Suite 200", "Unit 4", "Flat 2". */
const UNIT_LINE_RE =
  /^(?:#[ ]?[A-Za-z0-9-]{1,6}|(?:Apt|APT|Apartment|APARTMENT|Suite|SUITE|Ste|STE|Unit|UNIT|Flat|FLAT|Room|ROOM|Rm|RM|Bldg|BLDG|Building|BUILDING|Floor|FLOOR|Fl|FL|Lot|LOT|Space|SPACE)\.?[ ]?#?[ ]?(?:[A-Za-z0-9-]{0,2}\d[A-Za-z0-9-]{0,4}|[A-Z]))$/;

/** The town after a street line: the rest of its cell (", London") or the line under it ("Springfield"). */
function addressBlocks(text: string, lines: readonly Line[], found: readonly Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  const streets = found.filter((f) => f.category === 'ADDRESS');
  for (const street of streets) {
    const li = lines.findIndex((l) => l.start <= street.start && street.start <= l.end);
    if (li < 0) continue;
    const line = lines[li]!;
    const cell = line.cells.find((c) => c.start <= street.start && street.start < c.end);
    if (!cell) continue;
    // The town after the street in its cell: up to a comma, or a ";" or "." that ends the clause in prose.
    const rest = /^,?[ ]{1,2}([^,;.\d]{2,40}?)(?=[,;]|\.(?:[ ]|$)|$)/.exec(text.slice(street.end, cell.end));
    if (rest && isPlaceWords(rest[1]!)) {
      const s = street.end + rest[0].length - rest[1]!.length;
      out.push({ start: s, end: s + rest[1]!.trimEnd().length, category: 'PLACE', source: street.source });
    }
    // Prose that wraps after the street ("at 2602 S Larkspur Road, Unit C,\nPelham Crossing; they ..."): the unit
    // left on the line, and the town that opens the next line.
    const tail = /^(,[ ]?)((?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.?[ ]?[A-Za-z0-9-]{1,6})?,?[ ]*$/.exec(text.slice(street.end, line.end));
    const below = lines[li + 1];
    if (tail && below) {
      if (tail[2]) out.push({ start: street.start, end: street.end + tail[1]!.length + tail[2].length, category: 'ADDRESS', source: street.source });
      const town = /^([^,;.\d]{2,40}?)(?=[,;]|\.(?:[ ]|$))/.exec(text.slice(below.start, below.end));
      if (town && isPlaceWords(town[1]!))
        out.push({ start: below.start, end: below.start + town[1]!.trimEnd().length, category: 'PLACE', source: street.source });
    }
    // The cells after the street cell on its line: a unit ("#7", "Apt 3B"), then the town ("WRENHAVEN").
    if (cell.end <= street.end + 1) {
      let ci = line.cells.indexOf(cell) + 1;
      const unitCell = line.cells[ci];
      if (unitCell && UNIT_LINE_RE.test(text.slice(unitCell.start, unitCell.end))) {
        // One span with the street: a unit alone ("#7") is too short to be replaced wherever it is printed.
        out.push({ start: street.start, end: unitCell.end, category: 'ADDRESS', source: street.source });
        ci++;
      }
      const next = line.cells[ci];
      const printed = next ? text.slice(next.start, next.end) : '';
      const town = /^([^,\d]{2,40}?)(?:,|$)/.exec(printed);
      if (next && town && !labelsIn(text, next).length && town[1]!.trim().split(' ').length <= 3 && isPlaceWords(town[1]!))
        out.push({ start: next.start, end: next.start + town[1]!.trimEnd().length, category: 'PLACE', source: street.source });
    }
    // The lines under the street line, in its column: town (and county) lines until a postcode or a label.
    const col = street.start - line.start;
    for (let k = li + 1; k < Math.min(lines.length, li + 3); k++) {
      const below = lines[k]!.cells.find((c) => Math.abs(c.col - col) <= 2 || Math.abs(c.col - cell.col) <= 2);
      if (!below || labelsIn(text, below).length) break;
      const printed = text.slice(below.start, below.end);
      // A unit on its own line under the street ("Apt 3B", "#7").
      if (UNIT_LINE_RE.test(printed)) {
        out.push({ start: k === li + 1 ? street.start : below.start, end: below.end, category: 'ADDRESS', source: street.source });
        continue;
      }
      const town = /^([^,\d]{2,40}?)(?:,|[ ][A-Z]{1,2}\d|[ ][A-Z]{2}[ ]\d{5}|$)/.exec(printed);
      if (town && isPlaceWords(town[1]!))
        out.push({ start: below.start, end: below.start + town[1]!.trimEnd().length, category: 'PLACE', source: street.source });
      else if (!/^\d/.test(printed)) break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- names

function people(text: string, lines: readonly Line[], streets: readonly Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  const inStreet = (t: Token) => streets.some((s) => s.start <= t.start && t.end <= s.end);
  for (const [li, line] of lines.entries()) {
    for (const [ci, cell] of line.cells.entries()) {
      const tokens = tokenize(text, cell.start, cell.end);
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        if (!isNameShaped(t) || inStreet(t)) continue;
        const agent = i === 0 && ci === 0 ? agentAtLineStart(text, lines, li) : agentBefore(tokens, i);
        // After an agent's "by", an initial and a word are a name ("Printed ... by H. Ashcombe"); other words must be names.
        const initialled = agent === 'strong' && isInitialToken(t) && tokens[i + 1]?.text === '.' && isNameShaped(tokens[i + 2]);
        // Who did it, after a participle's "by" ("Printed ... by Tunde Oyelaran from"), or a lone name closing a clause
        // after "by" ("... read back by Bozena;"): named as if labelled.
        const closesClause =
          agent !== undefined && /^[;.]$/.test(tokens[i + 1]?.text ?? '') && ['name', 'other'].includes(nameClass(t.text)) && !isClinicalWord(t.text);
        const evidence: NameEvidence =
          relationBefore(tokens, i) || initialled || agent === 'strong' || closesClause ? 'label' : agent ? 'weak-label' : 'dictionary';
        let read = readName(text, tokens, i, evidence);
        // "by" vouches for names, not for common words ("confirmed by Western Blot"), nor for a lone word in
        // capitals (a service or a test: "by EMS", "by ELISA").
        if (read && agent && !initialled) {
          const words = [...read.name.given, ...read.name.family].filter((w) => w.length > 1);
          const acronym = read.next === i + 1 && t.text.length > 1 && t.text === t.text.toUpperCase();
          if (acronym || words.some((w) => nameClass(w) === 'common')) read = acronym ? undefined : readName(text, tokens, i, 'dictionary');
        }
        if (!read) continue;
        if (read.byDictionary && inList(text, line, cell, read)) continue;
        // A common word opening a sentence is no part of the name after it ("Today Maria Garcia ...").
        if (read.byDictionary && !isTitle(t.text) && nameClass(t.text) === 'common' && !text.slice(read.start, read.end).includes(',')) {
          const rest = readName(text, tokens, i + 1, 'dictionary');
          const words = rest ? [...rest.name.given, ...rest.name.family].filter((w) => w.length > 1).length : 0;
          if (rest && words >= 2 && rest.start === tokens[i + 1]!.start) read = rest;
        }
        out.push({ start: read.start, end: read.end, category: 'PERSON', source: 'dictionary', name: read.name });
        i = Math.max(i, read.next - 1);
      }
    }
  }
  return out;
}

/**
 * "by" before a name: weak evidence; after a participle ("Printed 2024-09-21 by", "called by", "read back
 * by") it names who did it, strong enough for an initialled name.
 */
function agentBefore(tokens: readonly Token[], i: number): 'strong' | 'weak' | undefined {
  const by = tokens[i - 1];
  if (!by || by.kind !== 'word' || by.text !== 'by') return undefined;
  return participleBefore(tokens, i - 1) ? 'strong' : 'weak';
}

/** A participle before token `k`, skipping a date, time or number printed between ("Printed 2024-09-21T16:51Z by"). */
function participleBefore(tokens: readonly Token[], k: number): boolean {
  for (let j = k - 1; j >= Math.max(0, k - 6); j--) {
    const t = tokens[j]!;
    if (t.kind === 'word' && /^(?:[AP]M|am|pm|[A-Z]{3,4}T|UTC|GMT|Z)$/.test(t.text)) continue;
    if (t.kind === 'word') return t.text.length > 3 && (/^[a-z]+ed$/i.test(t.text) || IRREGULAR_PARTICIPLES.has(t.text.toLowerCase()));
    if (!(t.kind === 'num' || /^[:.\-+/TZ]$/.test(t.text))) return false;
  }
  return false;
}

const IRREGULAR_PARTICIPLES = new Set(['read', 'seen', 'done', 'sent', 'given', 'taken', 'drawn', 'written', 'made', 'told', 'back']);

/** The first word of a line that continues a sentence ending in "by" on the line before ("called by\nRocío;"). */
function agentAtLineStart(text: string, lines: readonly Line[], li: number): 'strong' | 'weak' | undefined {
  let k = li - 1;
  while (k >= 0 && !lines[k]!.cells.length) k--;
  if (k < 0 || li - k > 1) return undefined;
  const prev = lines[k]!;
  const last = prev.cells[prev.cells.length - 1]!;
  const tokens = tokenize(text, last.start, last.end);
  if (tokens[tokens.length - 1]?.text !== 'by') return undefined;
  return participleBefore(tokens, tokens.length - 1) ? 'strong' : 'weak';
}

/**
 * A cell of a list of conditions or options ("Asthma  Diabetes  Heart Disease  Tobacco Smoker"): a name
 * found by the dictionary alone, with a word that is also a common word, among cells that are no names.
 */
function inList(text: string, line: Line, cell: Cell, read: NameRead): boolean {
  const words = [...read.name.given, ...read.name.family].filter((w) => w.length > 1);
  if (!words.some((w) => nameClass(w) === 'common')) return false;
  let plain = 0;
  for (const other of line.cells) {
    if (other === cell) continue;
    const ws = tokenize(text, other.start, other.end).filter((t) => t.kind === 'word' && t.text.length > 1);
    if (ws.length && ws.every((w) => nameClass(w.text) === 'stop' || nameClass(w.text) === 'word')) plain++;
  }
  return plain >= 2;
}

const RELATION_SET = new Set(RELATION_WORDS);

/** A relative named right before ("his daughter, Grace Brown", "wife Mary"): as good as a label. */
function relationBefore(tokens: readonly Token[], i: number): boolean {
  const before = tokens[i - 1]?.text === ',' || tokens[i - 1]?.text === ':' ? tokens[i - 2] : tokens[i - 1];
  return !!before && before.kind === 'word' && RELATION_SET.has(foldWord(before.text));
}

// ---------------------------------------------------------------- aliases

const EPONYM_HEAD_SET = new Set(EPONYM_HEADS);
const PLACE_PREFIX_SET = new Set(PLACE_PREFIXES);

/** Every other mention of the people found: their family names, uncommon given names, in any case and order. */
function personAliases(pages: readonly DeidPage[], layouts: readonly Line[][], found: readonly Candidate[][]): Candidate[][] {
  const parts = new Map<string, { common: boolean; family: boolean }>();
  for (const spans of found) {
    for (const s of spans) {
      if (s.category !== 'PERSON' || !s.name) continue;
      for (const f of s.name.family) {
        if (!/\s/.test(f) && f.length >= 2 && nameClass(f) !== 'stop') parts.set(foldWord(f), { common: isCommonWord(f), family: true });
        for (const piece of f.split(/[\s-]+/)) {
          if (piece.length < 2 || isParticle(piece)) continue;
          const key = foldWord(piece);
          if (nameClass(piece) === 'stop') continue;
          parts.set(key, { common: isCommonWord(piece), family: true });
        }
      }
      for (const g of s.name.given) {
        if (g.length < 3 || nameClass(g) === 'stop') continue;
        const key = foldWord(g);
        if (!parts.has(key)) parts.set(key, { common: isCommonWord(g), family: false });
      }
    }
  }
  if (!parts.size) return pages.map(() => []);
  return pages.map((page, p) => {
    const out: Candidate[] = [];
    const text = page.text;
    const taken = found[p]!;
    for (const line of layouts[p]!) {
      for (const cell of line.cells) {
        const tokens = tokenize(text, cell.start, cell.end);
        for (let i = 0; i < tokens.length; i++) {
          const t = tokens[i]!;
          if (!isNameShaped(t)) continue;
          const part = parts.get(foldWord(t.text.replace(/['’]s$/i, '')));
          if (!part || taken.some((s) => s.start < t.end && s.end > t.start)) continue;
          // The mention: this word and the alias words and initials around it ("ALLEN, ROBERT K.").
          let a = i;
          let b = i;
          const isPart = (k: number) => {
            const x = tokens[k];
            return !!x && isNameShaped(x) && (isInitialToken(x) || parts.has(foldWord(x.text.replace(/['’]s$/i, ''))));
          };
          const joins = (k: number) => tokens[k]?.text === ',' || tokens[k]?.text === '.';
          while (a > 0 && (isPart(a - 1) || (joins(a - 1) && isPart(a - 2) && !isInitialToken(tokens[a - 2]!)))) a -= isPart(a - 1) ? 1 : 2;
          // An unknown given name right before a known family name is the same person's ("Zorvath Mahlangu").
          const given = tokens[a - 1];
          if (
            part.family &&
            a === i &&
            given &&
            isNameShaped(given) &&
            text.slice(given.end, tokens[a]!.start) === ' ' &&
            !isTitle(given.text) &&
            !isInitialToken(given)
          ) {
            const c = nameClass(given.text);
            if (c === 'name' || c === 'other' || c === 'common') a--;
          }
          while (isPart(b + 1) || (joins(b + 1) && isPart(b + 2))) b += isPart(b + 1) ? 1 : 2;
          while (b > a && isInitialToken(tokens[b]!) && tokens[b + 1]?.text !== '.') b--;
          while (a < b && isInitialToken(tokens[a]!) && isTitle(tokens[a]!.text)) a++;
          const titleToken = titleBefore(tokens, a);
          const possessive = /['’]s$/i.test(tokens[b]!.text);
          if (a === b && part.common && !titleToken && !possessive && !nameContext(text, tokens, a, b)) continue;
          if (!standsFree(tokens, a, b)) continue;
          const start = tokens[a]!.start;
          let end = possessive ? tokens[b]!.end - 2 : tokens[b]!.end;
          if (isInitialToken(tokens[b]!) && text[end] === '.') end++;
          const printed = text.slice(start, end);
          const name: ParsedName | undefined =
            a === b ? (part.family ? { given: [], family: [printed] } : { given: [printed], family: [] }) : parseName(printed);
          if (!name) continue;
          if (titleToken) name.title = titleToken.text;
          out.push({ start, end, category: 'PERSON', source: 'alias', name });
          i = b;
        }
      }
    }
    return out;
  });
}

const PERSON_VERB_SET = new Set(PERSON_VERBS);

/** A lone family name that is a common word, where only a person fits: "Dear Brown,", "Brown was treated", "wife of Brown". */
function nameContext(text: string, tokens: readonly Token[], a: number, b: number): boolean {
  const before = tokens[a - 1];
  if (before?.kind === 'word' && /^(?:dear|re|attn)$/i.test(before.text)) return true;
  if (relationBefore(tokens, a)) return true;
  const after = tokens[b + 1];
  if (after && after.kind === 'word' && /^[a-z]/.test(after.text) && PERSON_VERB_SET.has(after.text) && text[tokens[b]!.end] === ' ') return true;
  // Capitalised in the middle of a sentence, between lower-case words: a proper noun ("I reviewed Grace today").
  const word = tokens[a]!;
  const mid = (t: Token | undefined) => !!t && t.kind === 'word' && /^[a-z]/.test(t.text);
  return word.text !== word.text.toUpperCase() && mid(before) && (mid(after) || (!!after && /^[.,;]$/.test(after.text)));
}

function titleBefore(tokens: readonly Token[], i: number): Token | undefined {
  const before = tokens[i - 1]?.text === '.' ? tokens[i - 2] : tokens[i - 1];
  return before && isNameShaped(before) && isTitle(before.text) ? before : undefined;
}

/** An alias is no person inside an organisation, a place or an eponym ("St. Mary's", "Allen Clinic", "Bell's palsy"). */
function standsFree(tokens: readonly Token[], a: number, b: number): boolean {
  const next = tokens[b + 1];
  const nextKey = next && next.kind === 'word' ? foldWord(next.text) : '';
  if (nextKey && (EPONYM_HEAD_SET.has(nextKey) || isOrganisationWord(next!.text))) return false;
  const before = tokens[a - 1]?.text === '.' ? tokens[a - 2] : tokens[a - 1];
  if (before && isNameShaped(before) && PLACE_PREFIX_SET.has(foldWord(before.text))) return false;
  return true;
}

/** Categories whose values are printed again elsewhere with other separators (or none). */
const REPEATED: ReadonlySet<PhiCategory> = new Set<PhiCategory>([...[...CODE_LIKE].filter((c) => c !== 'ZIP'), 'EMAIL', 'URL']);

/** Every other printing of the numbers and addresses found: the same letters and digits, any separators. */
function valueAliases(pages: readonly DeidPage[], found: readonly Candidate[][]): Candidate[][] {
  const seen = new Map<string, PhiCategory>();
  found.forEach((spans, p) => {
    for (const s of spans) {
      if (!REPEATED.has(s.category)) continue;
      const printed = pages[p]!.text.slice(s.start, s.end);
      const skeleton = printed.replace(/[^\p{L}\p{N}]/gu, '');
      if (skeleton.replace(/\D/g, '').length < 4 && s.category !== 'EMAIL' && s.category !== 'URL') continue;
      if (skeleton.length < 5 || seen.has(skeleton)) continue;
      seen.set(skeleton, s.category);
    }
  });
  if (!seen.size) return pages.map(() => []);
  const res = [...seen].map(([skeleton, category]) => ({
    re: new RegExp(String.raw`(?<![\p{L}\p{N}(])\(?${[...skeleton].map(escape).join(String.raw`[ .\-/()]{0,2}`)}(?![\p{L}\p{N}])`, 'giu'),
    category,
  }));
  return pages.map((page) => {
    const out: Candidate[] = [];
    for (const { re, category } of res) {
      re.lastIndex = 0;
      for (let m = re.exec(page.text); m; m = re.exec(page.text)) out.push({ start: m.index, end: m.index + m[0].length, category, source: 'alias' });
    }
    return out;
  });
}

// ---------------------------------------------------------------- overlaps

/** Ties in length go to the more specific category (earlier here). */
const SPECIFICITY: readonly PhiCategory[] = [
  'SSN',
  'NHS',
  'CARD',
  'MRN',
  'PLAN_ID',
  'ACCOUNT',
  'LICENSE',
  'DEVICE',
  'VEHICLE',
  'EMAIL',
  'URL',
  'IP',
  'FAX',
  'PHONE',
  'PERSON',
  'DATE',
  'AGE',
  'ADDRESS',
  'ZIP',
  'PLACE',
  'ID',
];
/** Ties go to a label, then a check digit; a generic "ID:" label yields to a checksum's specific category. */
const sourceRank = (c: Candidate): number =>
  c.source === 'label' ? (c.category === 'ID' ? 1.5 : 0) : ['label', 'checksum', 'pattern', 'dictionary', 'alias'].indexOf(c.source);

function resolve(candidates: readonly Candidate[]): Candidate[] {
  const ranked = [...candidates]
    .filter((c) => c.end > c.start)
    .sort(
      (a, b) =>
        b.end - b.start - (a.end - a.start) ||
        sourceRank(a) - sourceRank(b) ||
        SPECIFICITY.indexOf(a.category) - SPECIFICITY.indexOf(b.category) ||
        a.start - b.start,
    );
  const kept: Candidate[] = [];
  for (const c of ranked) if (!kept.some((k) => k.start < c.end && c.start < k.end)) kept.push(c);
  return kept.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------- entry point

const TITLE_BEFORE_RE = /(?:^|[^\p{L}])(\p{L}{2,9})\.?[ ]{1,2}$/u;

/** The PHI spans of a document's pages: sorted by page then start, non-overlapping. */
export function detectPhi(pages: readonly DeidPage[]): PhiSpan[] {
  loadNameDictionary();
  const layouts = pages.map((p) => layout(p.text));
  const first = pages.map((page, i) => {
    const lines = layouts[i]!;
    const shapes = formats(page.text);
    const streets = shapes.filter((s) => s.category === 'ADDRESS');
    const labels = labelled(page.text, lines);
    const blocks = addressBlocks(page.text, lines, [...streets, ...labels.filter((l) => l.category === 'ADDRESS')]);
    return resolve([...labels, ...shapes, ...blocks, ...people(page.text, lines, streets)]);
  });
  const names = personAliases(pages, layouts, first);
  const values = valueAliases(pages, first);
  const spans: PhiSpan[] = [];
  pages.forEach((page, i) => {
    for (const c of resolve([...first[i]!, ...names[i]!, ...values[i]!])) {
      const span: PhiSpan = { page: page.page, start: c.start, end: c.end, category: c.category, text: page.text.slice(c.start, c.end), source: c.source };
      if (c.category === 'PERSON') {
        const name = c.name ?? parseName(span.text) ?? { given: [], family: [span.text] };
        if (!name.title) {
          const title = TITLE_BEFORE_RE.exec(page.text.slice(Math.max(0, c.start - 14), c.start));
          if (title && isTitle(title[1]!)) name.title = title[1]!;
        }
        span.name = name;
      }
      spans.push(span);
    }
  });
  return spans.sort((a, b) => a.page - b.page || a.start - b.start);
}
