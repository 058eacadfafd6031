/**
 * Allergies with reaction and severity: an allergies label (its value may wrap onto the next line), the
 * items or table rows of an allergies section (columns read by their header), and sentences of prose
 * ("allergic to penicillin, which causes a rash", "Reports mild rash with peanuts").
 */
import type { Allergy, Evidence } from '../../../core/contract/extraction.js';
import type { LabelValue } from './labels.js';
import { cellsOf, LABEL_OF } from './labels.js';
import type { Section } from './lexicon.js';
import type { Line } from './lines.js';
import { lineEvidence, spanEvidence } from './lines.js';
import { BULLET, FORM_TEMPLATE, group, isBlank, plainText, splitList } from './text.js';
import { ALLERGY_COLUMNS, ALLERGY_PROSE, ALLERGY_SEVERITIES, LETTER_CLOSING_RE } from './vocabulary.js';

const NO_ALLERGY = /^(none|nil|nkda|nka|nkma|no known (drug |medication )?allerg(y|ies)|no allerg(y|ies)|denies|no)\b\.?/i;
const SEVERITY = new RegExp(String.raw`\b(${ALLERGY_SEVERITIES.join('|')})\b`, 'i');
/** An allergies heading, possibly with its value on the same line ("Allergies / Adverse Reactions Aspirin (anaphylaxis)"). */
const HEADING =
  /^(?:known\s+|drug\s+|medication\s+)?allerg(?:y|ies)(?:\s*(?:[/|&]|and)\s*(?:adverse\s+)?(?:drug\s+)?reactions?|\s+on\s+file|\s+list)?(?:\s*:\s*|\s+|$)/i;

type Parsed = { substance: string; reaction: string | null; severity: string | null };

/** Severity taken out of a reaction: "rash (severe)" → rash, severe. */
function withSeverity(substance: string, reaction: string | null, extra = ''): Parsed {
  let rx = reaction;
  const sev = SEVERITY.exec(`${reaction ?? ''} ${extra}`)?.[1]?.toLowerCase() ?? null;
  if (rx && sev) {
    rx =
      rx
        .replace(new RegExp(String.raw`\(?\s*\b${sev}\b\s*\)?`, 'i'), '')
        .replace(/^[\s,;-]+|[\s,;-]+$/g, '')
        .trim() || null;
  }
  return { substance: substance.trim(), reaction: rx, severity: sev };
}

function parseAllergy(item: string): Parsed | null {
  // A sentence is prose, read by proseAllergies, never an item.
  if (/\.\s*$/.test(item) && item.trim().split(/\s+/).length > 3) return null;
  const t = plainText(item)
    .replace(BULLET, '')
    .replace(/^[+*]\s+/, '')
    .trim()
    .replace(/\.$/, '');
  if (t === '' || isBlank(t) || /_{2,}/.test(t) || NO_ALLERGY.test(t) || FORM_TEMPLATE.test(t)) return null;
  let m = /^(?<sub>[^()]+?)\s*\((?<rx>[^)]+)\)(?<rest>.*)$/.exec(t);
  if (m) {
    const inner = splitList(group(m, 'rx')!);
    const sevOnly = inner.length === 1 && SEVERITY.test(inner[0]!) && inner[0]!.split(/\s+/).length === 1;
    if (!sevOnly) return withSeverity(group(m, 'sub')!, inner[0] ?? null, `${inner.slice(1).join(' ')} ${group(m, 'rest')}`);
  }
  m = /^(?<sub>[^:]+?)\s+[-:–]\s+(?<rx>.+)$/.exec(t);
  if (m) return withSeverity(group(m, 'sub')!, splitList(group(m, 'rx')!)[0]?.replace(/^reaction\s*:?\s*/i, '') ?? null, group(m, 'rx')!);
  if (t.split(/\s+/).length > 5) return null;
  return { substance: t, reaction: null, severity: null };
}

/**
 * A table row without a header ("Penicillin  anaphylaxis  moderate"): substance, then reaction, then a
 * severity word; words only, short cells. Anything else is left to the item reader.
 */
function headerlessRow(cells: string[]): Parsed | null {
  if (cells.length < 2 || cells.length > 3) return null;
  const c = cells.map((x) => plainText(x).replace(/^[\s'"‘’“”-]+|[\s'"‘’“”.,;-]+$/g, ''));
  if (c.some((x) => x === '' || /\d|[:()]/.test(x) || x.split(/\s+/).length > 4 || NO_ALLERGY.test(x))) return null;
  const isSeverity = (x: string): boolean => new RegExp(String.raw`^(?:${ALLERGY_SEVERITIES.join('|')})$`, 'i').test(x);
  if (isSeverity(c[0]!) || isSeverity(c[1]!)) return null;
  if (c.length === 3 && !isSeverity(c[2]!)) return null;
  return { substance: c[0]!, reaction: c[1]!, severity: c[2]?.toLowerCase() ?? null };
}

function columnOf(cell: string): string | null {
  const k = plainText(cell).toLowerCase().replace(/[:.]$/, '').trim();
  return Object.entries(ALLERGY_COLUMNS).find(([, ws]) => ws.includes(k))?.[0] ?? null;
}

/** Sentences of prose about allergies. */
function proseAllergies(sentence: string): Parsed[] {
  const s = plainText(sentence).trim().replace(/\.$/, '');
  const out: Parsed[] = [];
  const sub = String.raw`(?<sub>[A-Za-z][A-Za-z -]{1,40}?)`;
  const rx = String.raw`(?<rx>[a-z][a-z -]{1,40}?)`;
  let m = new RegExp(
    String.raw`\b${ALLERGY_PROSE.allergicTo}\s+${sub}(?:\s*\((?<rx1>[^)]+)\)|,?\s*(?:${ALLERGY_PROSE.causes})\s+(?:an?\s+)?${rx})?\s*(?:,|$)`,
    'i',
  ).exec(s);
  if (m) {
    out.push(withSeverity(group(m, 'sub')!, group(m, 'rx1') ?? group(m, 'rx') ?? null, s));
    return out;
  }
  m = new RegExp(
    String.raw`^(?:(?:he|she|they|the patient|patient|pt)\s+)?(?:${ALLERGY_PROSE.reports})\s+(?:an?\s+)?(?<sev>${ALLERGY_SEVERITIES.join('|')})?\s*${rx}\s+(?:${ALLERGY_PROSE.with})\s+${sub}$`,
    'i',
  ).exec(s);
  if (m) return [{ substance: group(m, 'sub')!, reaction: group(m, 'rx')!, severity: group(m, 'sev')?.toLowerCase() ?? null }];
  m = new RegExp(String.raw`^${sub}\s+(?:${ALLERGY_PROSE.causes})\s+(?:an?\s+)?${rx}(?:\s*\((?<sev>[^)]+)\))?$`, 'i').exec(s);
  if (m) return [withSeverity(group(m, 'sub')!, group(m, 'rx')!, group(m, 'sev') ?? '')];
  return out;
}

export function allergies(pageLines: Line[][], sections: Map<Line, Section>, kvs: LabelValue[]): Allergy[] {
  const out: Allergy[] = [];
  const used = new Set<Line>();
  const push = (items: Parsed[], evidence: Evidence, confidence: number): void => {
    for (const a of items) if (a.substance.length >= 2) out.push({ ...a, evidence, confidence });
  };
  const fromValue = (value: string, line: Line, lines: Line[], confidence: number): void => {
    // A value that wraps onto the next line ("Latex (rash), Peanuts" / "(swelling), Bee stings (swelling)").
    let v = value;
    let last = line;
    const next = lines[line.index + 1];
    if (next && (/^\(/.test(next.text) || (v.match(/\(/g)?.length ?? 0) > (v.match(/\)/g)?.length ?? 0) || /,\s*$/.test(v)) && !/:/.test(next.text)) {
      v = `${v} ${next.text}`;
      last = next;
      used.add(next);
    }
    used.add(line);
    // "Penicillin - rash, moderate" is one allergy; "Penicillin (rash), Sulfa (hives)" are two.
    const items = /\s[-–]\s/.test(v) ? [v] : splitList(v);
    push(
      items.map(parseAllergy).filter((a): a is Parsed => a !== null),
      last === line ? lineEvidence(line) : spanEvidence(line, last),
      confidence,
    );
  };
  for (const kv of kvs) {
    const isAllergy = LABEL_OF.get(kv.key) === 'allergies' || /^(known |drug |medication )?allerg/.test(kv.key);
    if (!isAllergy || isBlank(kv.value) || used.has(kv.line)) continue;
    if (cellsOf(kv.value).every((c) => columnOf(c) !== null)) continue; // a table's header under the label
    fromValue(kv.value, kv.line, pageLines[kv.line.page - 1] ?? pageLines.find((l) => l[0]?.page === kv.line.page) ?? [], kv.nextLine ? 0.7 : 0.85);
  }
  for (const lines of pageLines) {
    let columns: Array<string | null> | null = null;
    let para: Line[] = [];
    const flush = (): void => {
      if (para.length === 0) return;
      const text = para.map((l) => l.text).join(' ');
      const starts: number[] = [];
      let pos = 0;
      for (const l of para) {
        starts.push(pos);
        pos += l.text.length + 1;
      }
      const at = (o: number): Line =>
        para[
          Math.max(
            0,
            starts.findIndex((s, k) => o >= s && (starts[k + 1] ?? Infinity) > o),
          )
        ]!;
      const re = /[^.;]+[.;]?/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text))) {
        const found = proseAllergies(m[0]).concat(
          ...m[0]
            .split(/\.\s+|\s+also\s+/i)
            .slice(1)
            .map(proseAllergies),
        );
        if (found.length === 0) continue;
        const a = at(m.index + (m[0].length - m[0].trimStart().length));
        const b = at(m.index + m[0].trimEnd().length - 1);
        push(found, a === b ? lineEvidence(a) : spanEvidence(a, b), 0.65);
      }
      para = [];
    };
    let closed = false;
    for (const line of lines) {
      if (used.has(line)) continue;
      // A letter's closing ends the section: what follows is a signature, not an allergy.
      if (LETTER_CLOSING_RE.test(line.text)) closed = true;
      else if (sections.get(line) !== 'allergies') closed = false;
      const inSection = sections.get(line) === 'allergies' && !closed;
      const heading = HEADING.exec(line.text);
      const cells = cellsOf(line.text).filter((c) => /[\p{L}\p{N}]/u.test(c));
      const kinds = cells.map(columnOf);
      if ((inSection || heading) && cells.length >= 2 && kinds.every((k) => k !== null)) {
        // A table's header row, also where its first cell reads as the heading ("Allergy  Reaction").
        flush();
        columns = kinds;
        continue;
      }
      if (heading && !/:\s*\S/.test(line.text) && line.text.length > heading[0].length && line.text.length < 120) {
        // The heading and its value on one line.
        fromValue(line.text.slice(heading[0].length), line, lines, 0.7);
        continue;
      }
      if (!inSection) {
        flush();
        if (/\ballerg/i.test(line.text) && /[.]/.test(line.text) && !/:/.test(line.text)) {
          para = [line];
          flush();
        }
        continue;
      }
      if (columns && cells.length >= 2 && cells.length <= columns.length) {
        const by: Record<string, string> = {};
        cells.forEach((c, n) => {
          if (columns![n]) by[columns![n]!] = c;
        });
        if (by.substance && !NO_ALLERGY.test(by.substance)) {
          const a = withSeverity(by.substance, by.reaction ?? null, by.severity ?? '');
          if (by.severity) a.severity = by.severity;
          push([a], lineEvidence(line), 0.8);
        }
        continue;
      }
      // A sentence of prose, or the rest of one that wrapped onto this line.
      const last = para[para.length - 1];
      // (A sentence may also start on a line that stops mid-phrase: 'She is allergic to shellfish, which causes' / 'anaphylaxis.')
      const opensSentence =
        line.text.split(/\s+/).length > 5 &&
        !/\s{2,}/.test(line.text.trim()) &&
        /(?:,|\b(?:which|that|causes?|caused|to|with|and|or|of|a|an|the|in|from))$/i.test(line.text.trim());
      if ((/[.]\s*\S|[.]$/.test(line.text) && line.text.split(/\s+/).length > 5) || opensSentence || (last && !/[.;:]\s*$/.test(last.text))) {
        para.push(line);
        continue;
      }
      flush();
      if (/:\s*\S/.test(line.text)) continue;
      const row = headerlessRow(cells);
      if (row) {
        push([row], lineEvidence(line), 0.7);
        continue;
      }
      const a = parseAllergy(line.text);
      if (a) push([a], lineEvidence(line), 0.75);
    }
    flush();
  }
  // One allergy per substance and quote.
  const seen = new Set<string>();
  return out.filter((a) => {
    const k = `${a.substance.toLowerCase()}\u0000${a.evidence.quote}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
