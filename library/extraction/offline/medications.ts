/**
 * Medications: name, strength, form, route, frequency (normalised), the instruction as printed, duration,
 * quantity and status, from list items, table rows (columns read by their header), "Sig:" lines, labelled
 * values and sentences of prose ("He currently takes metformin 1 g twice daily").
 */
import type { Evidence, Medication } from '../../../core/contract/extraction.js';
import { medicationStatusIn } from '../../../core/contract/extraction.js';
import type { LabelValue } from './labels.js';
import { cellsOf, LABEL_OF } from './labels.js';
import type { Section } from './lexicon.js';
import type { Line } from './lines.js';
import { lineEvidence, spanEvidence } from './lines.js';
import { BULLET, FORM_TEMPLATE, isBlank, plainText, splitList } from './text.js';
import { DIRECTION_VERBS, DOSAGE_FORMS, FREQUENCY_NORMAL, MEDICATION_COLUMNS, MEDICATION_PROSE_LEAD, NUMBER_WORDS } from './vocabulary.js';

const DOSE_UNIT = String.raw`(?:mg|mcg|µg|μg|ug|g|gm|gram|grams|ml|mL|units?|iu|IU|meq|mEq|mmol|%|puffs?|drops?)`;
const PER = String.raw`(?:\s*\/\s*(?:\d+(?:\.\d+)?\s*)?(?:ml|l|dose|actuation|spray|tab|h|hr|24\s*h))?`;
const DOSE_RE = new RegExp(String.raw`(?<![\w.])(?<amount>\d+(?:\.\d+)?(?:\s*\/\s*\d+(?:\.\d+)?)?)\s*(?<unit>${DOSE_UNIT})(?<per>${PER})(?![\w/])`, 'i');
const ROUTE_RE =
  /\b(PO|P\.O\.|oral(?:ly)?|by mouth|IV|intravenous(?:ly)?|IM|intramuscular(?:ly)?|SC|SQ|subcut(?:aneous(?:ly)?)?|SL|sublingual(?:ly)?|PR|rectal(?:ly)?|topical(?:ly)?|inhaled|inhalation|INH|nebuli[sz]ed|transdermal(?:ly)?|ophthalmic|otic|(?:intra)?nasal(?:ly)?|per rectum)\b/i;
const FORM_ALT = DOSAGE_FORMS.map((f) => f.replace(/[-/]/g, '\\$&').replace(/ /g, '\\s+')).join('|');
// A run of form words is one form ("MDI Inhaler").
const FORM_AT_START = new RegExp(String.raw`^\s*[,(]?\s*((?:${FORM_ALT})(?:\s+(?:${FORM_ALT}))*)\b\.?\s*\)?`, 'i');
const FORM_AT_END = new RegExp(String.raw`\s+(${FORM_ALT})\.?$`, 'i');
const DIRECTIONS_START = new RegExp(String.raw`^(?:${DIRECTION_VERBS.join('|')}|\d)`, 'i');
const FREQS = FREQUENCY_NORMAL.map(([re, norm]) => [new RegExp(String.raw`(?<![\w])(?:${re})(?![\w])`, 'i'), norm] as const);
const NUM_WORD = Object.keys(NUMBER_WORDS).join('|');
const DURATION_RE = new RegExp(String.raw`\b(?:x|for|×)\s*(\d+|${NUM_WORD})\s*(days?|weeks?|wks?|months?)\b`, 'i');
const QUANTITY_RE = /\b(?:disp(?:ense)?|qty|quantity|#)\s*[:.]?\s*#?\s*(\d+(?:\s*(?:tablets?|capsules?|tabs?|caps?|ml|inhalers?|pens?|bottles?))?)/i;
/** A table cell cut mid-phrase at its column's edge: it ends in a connecting word or a unit's open ratio ("mg/5"). */
const UNFINISHED_CELL = /\b(?:a|an|the|at|for|of|in|with|before|after|to|and|or|every|as|per|by|then|on|if)$|\/\s*\d*$/i;
const NOT_A_DRUG =
  /\b(levels?|ranging|check|monitor(ing)?|review|follow|test|glucose|blood|pressure|diet|fever|days?|weeks?|hours?|therapy|x-ray|scan|charges?|room|total|amount|approved|fasting|patient|age|weight|dose|take|advice|he|she|they|was|were|is|are|the|with|and|of|for|every|daily|allerg\w*|history|units?|result|results|value|tablet|tablets|capsules?)\b/i;

/** How often, in its normal form ("BID" → "twice daily"), or null. */
export function frequencyOf(text: string): string | null {
  // The earliest phrase wins, the longer at one place: "twice daily (BD)" is not "daily".
  let top: { at: number; len: number; value: string } | null = null;
  for (const [re, norm] of FREQS) {
    const m = re.exec(text);
    if (m && (!top || m.index < top.at || (m.index === top.at && m[0].length > top.len))) {
      top = { at: m.index, len: m[0].length, value: norm.replace('$1', m[1] ?? m[2] ?? '') };
    }
  }
  return top?.value ?? null;
}

function durationOf(text: string): string | null {
  const m = DURATION_RE.exec(text);
  if (!m) return null;
  const n = NUMBER_WORDS[m[1]!.toLowerCase()] ?? m[1]!;
  return `${n} ${m[2]!.toLowerCase().replace(/^wks?$/, 'weeks')}`;
}

type MedParse = Omit<Medication, 'evidence' | 'confidence' | 'reasons'>;

/** The words that open a sentence naming a medication, before a line's drug ('Also atorvastatin 20 mg'). */
const PROSE_LEAD_AT_START = new RegExp(String.raw`^(?:${MEDICATION_PROSE_LEAD.join('|')})\s+`, 'i');

/** A drug's name as printed before its strength: 1–5 words, no digits, not a sentence. */
function cleanName(raw: string): string | null {
  let name = raw.replace(/[\s:,;(-]+$/, '').trim(); // "Gabapentin (100 mg)": the strength's parenthesis is not the name's
  name = name
    .replace(/^(?:rx|medication|drug)\s*[:#]\s*/i, '')
    .replace(PROSE_LEAD_AT_START, '')
    .trim();
  if (name.length < 3 || name.length > 50 || /\d{2,}|[|_@]/.test(name)) return null;
  if (!/^[A-Za-z]/.test(name) || name.split(/\s+/).length > 5) return null;
  if (NOT_A_DRUG.test(name.replace(/\([^)]*\)/g, ''))) return null;
  return name;
}

/** Everything after the strength: form, then the instruction with its frequency, route, duration, quantity, status. */
function readSig(after: string, med: MedParse): void {
  // The strength's closing parenthesis ("Gabapentin (100 mg) Take 1 capsule") is no part of the directions.
  let rest = after.replace(/^\s*\)/, '');
  const f = FORM_AT_START.exec(rest);
  if (f) {
    med.form = f[1]!;
    rest = rest.slice(f[0].length);
  }
  const sig = rest
    .replace(/^\s*[-–—,:;]\s*/, '')
    .replace(/^sig\s*[:.]?\s*/i, '')
    .replace(/[.;,]\s*$/, '')
    .trim();
  if (sig !== '' && /\p{L}/u.test(sig)) med.instructions = sig;
  const text = `${med.form ?? ''} ${sig}`;
  med.route = ROUTE_RE.exec(text)?.[1] ?? (/\b(inhaler|MDI|puffs?)\b/i.test(text) || /\binhaler\b/i.test(med.name) ? 'inhalation' : null);
  med.frequency = frequencyOf(sig);
  med.duration = durationOf(sig);
  med.quantity = QUANTITY_RE.exec(sig)?.[1] ?? null;
  med.status = medicationStatusIn(sig);
}

const empty = (name: string): MedParse => ({
  name,
  strength: null,
  form: null,
  route: null,
  frequency: null,
  instructions: null,
  duration: null,
  quantity: null,
  status: null,
});

/** "Amoxicillin-Clavulanate 625mg PO BD x 5 days (continue)" → parts. `requireDose` for lines outside a medication section. */
function parseMedItem(raw: string, requireDose: boolean): MedParse | null {
  const t = plainText(raw).replace(BULLET, '').trim();
  const d = DOSE_RE.exec(t);
  if (d && d.index > 0) {
    const name = cleanName(t.slice(0, d.index));
    if (name) {
      const med = empty(name);
      const form = FORM_AT_END.exec(name);
      if (form && form.index > 0 && !/\s(?:oral|nasal|eye|ear)$/i.test(name.slice(0, form.index))) {
        med.name = name.slice(0, form.index).trim();
        med.form = form[1]!;
      }
      med.strength = `${d.groups!.amount!.replace(/\s+/g, '')} ${d.groups!.unit}${d.groups!.per ? d.groups!.per.replace(/\s+/g, ' ').replace(/\s*\/\s*/, '/') : ''}`;
      readSig(t.slice(d.index + d[0].length), med);
      if (med.form) med.route ??= ROUTE_RE.exec(med.form)?.[1] ?? null;
      return med;
    }
  }
  if (requireDose) return null;
  // No strength: "Sertraline 1 tablet PO daily", "Motrin once/week": the name is the words before the first
  // count of a form, frequency or route word.
  const n = new RegExp(
    String.raw`^(?<name>[A-Za-z][A-Za-z'/-]*(?:\s+[A-Za-z][A-Za-z'/-]*){0,2}?)(?=\s+(?:\d+\s*(?:${FORM_ALT})\b|once|twice|daily|as|prn|po|iv|at|every|q\d|bid|tid|od|bd|previously|\(|-)|$)`,
    'i',
  ).exec(t);
  if (!n) return null;
  const name = cleanName(n.groups!.name!);
  if (!name) return null;
  const med = empty(name);
  readSig(t.slice(n.groups!.name!.length), med);
  return med;
}

/**
 * A row of a medication table without a header, in an order of its own ('Cetirizine  Take 1 tablet daily
 * tablet  10 mg'): the first cell the drug, every other cell typed by its content (a strength alone, a form
 * alone, or directions), or null when a cell is none of these or no strength and directions are there.
 */
function cellwiseMedication(cells: readonly string[]): MedParse | null {
  const name = cleanName(cells[0] ?? '');
  if (!name || cells.length < 3) return null;
  const med = empty(name);
  let sig: string | null = null;
  for (const raw of cells.slice(1)) {
    const cell = plainText(raw).trim();
    const dose = DOSE_RE.exec(cell);
    const form = FORM_AT_START.exec(cell);
    if (dose && dose.index === 0 && dose[0].length === cell.length && !med.strength) med.strength = cell;
    else if (form && form[0].trim().length === cell.length && !med.form) med.form = form[1]!;
    else if (!sig && (frequencyOf(cell) || ROUTE_RE.test(cell) || DIRECTIONS_START.test(cell))) sig = cell;
    else return null;
  }
  if (!med.strength || !sig) return null;
  const form = med.form;
  readSig(sig, med);
  med.form = form ?? med.form;
  return med;
}

/** A medication table's header: which cell is which column, or null. */
function medicationHeader(line: Line): Array<string | null> | null {
  const cells = cellsOf(line.text);
  if (cells.length < 2) return null;
  const kinds = cells.map((c) => {
    const k = plainText(c).toLowerCase().replace(/[:.]$/, '').trim();
    // A whole column name first ('Dosage Form' is the form, though 'dosage' alone names the strength).
    const columns = Object.entries(MEDICATION_COLUMNS);
    return (columns.find(([, words]) => words.includes(k)) ?? columns.find(([, words]) => words.some((w) => k.startsWith(`${w} `))))?.[0] ?? null;
  });
  return kinds[0] === 'name' && kinds.filter((k) => k !== null).length >= 2 ? kinds : null;
}

/** A cell that only goes on with the cell above: lower case, an abbreviation ("BID"), a form ("Tab") or a unit's rest ("mg tab"). */
const continuationCell = (cell: string): boolean => /^\p{Ll}/u.test(cell) || /^[A-Z]{2,4}$/.test(cell) || NAME_REST.test(cell);
/** A wrapped piece of a drug's name cell: its form or its unit's rest ("Tab", "mg tab"), not directions. */
const NAME_REST = new RegExp(String.raw`^(?:(?:${DOSE_UNIT})\b.*|(?:${FORM_ALT})\.?)$`, 'i');

/** A header cell that is a column word, or a piece of one wrapped onto the next line ("Frequency /" / "Instructions"). */
const isColumnWord = (cell: string): boolean => {
  const k = plainText(cell).toLowerCase().replace(/[:.]$/, '').trim();
  return /^[a-z]{1,5}$/.test(k) || Object.values(MEDICATION_COLUMNS).some((words) => words.some((w) => k === w || k.startsWith(`${w} `)));
};

/**
 * The lines after a table row that carry its wrapped cells, joined to it: a line of as many cells joins
 * cell by cell ("Amoxicillin-Clavulanate 500  1 tablet twice daily" / "mg tab  for 7 days"); a line of one
 * cell joins the cell that stops mid-phrase, else the name when it is the name's form or unit, else the
 * directions (the widest text wraps), else the last cell.
 */
function joinWrappedCells(lines: Line[], at: number, first: string[], header: Array<string | null>): { cells: string[]; last: number } {
  let cells = first;
  let last = at;
  for (let k = at + 1; k < lines.length && k <= at + 3; k++) {
    const next = lines[k]!;
    const nextCells = cellsOf(next.text);
    if (nextCells.length === 0 || next.text.length > 60 || /:/.test(next.text) || medicationHeader(next)) break;
    const unfinished = cells.findIndex((c) => UNFINISHED_CELL.test(plainText(c)));
    const starts = continuationCell(nextCells[0]!.trim());
    if (nextCells.length === 1 && (starts || unfinished >= 0) && !DOSE_RE.test(next.text)) {
      const sig = cells.length === header.length ? header.indexOf('instructions') : -1;
      const name = header.indexOf('name');
      const to = unfinished >= 0 ? unfinished : NAME_REST.test(nextCells[0]!.trim()) && name >= 0 ? name : sig >= 0 ? sig : cells.length - 1;
      cells = cells.map((c, n) => (n === to ? `${c} ${nextCells[0]}` : c));
    } else if (nextCells.length === cells.length && cells.length === header.length && (starts || unfinished >= 0) && !DOSE_RE.test(next.text)) {
      cells = cells.map((c, n) => `${c} ${nextCells[n]}`);
    } else break;
    last = k;
  }
  return { cells, last };
}

/** Rows of a medication table, read by its header's columns; lines carrying a row's wrapped cells join it. */
function tableMedications(lines: Line[], used: Set<Line>): Medication[] {
  const out: Medication[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = medicationHeader(lines[i]!);
    if (!header) continue;
    used.add(lines[i]!);
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      const first = cellsOf(line.text);
      if (j === i + 1 && first.length <= header.length && first.every(isColumnWord)) {
        used.add(line); // header words wrapped onto the next line ("Stren / gth", "Frequency /" / "Instructions")
        continue;
      }
      if (first.length < 2 || /:/.test(first[0]!) || medicationHeader(line)) break;
      const joined = joinWrappedCells(lines, j, first, header);
      const cells = joined.cells;
      const last = lines[joined.last]!;
      let med: MedParse | null = null;
      if (cells.length === header.length) {
        const byKind: Record<string, string> = {};
        header.forEach((k, n) => {
          if (k) byKind[k] = cells[n]!;
        });
        // The name cell may hold the strength and form too ("Omeprazole 20 mg cap").
        const inName = byKind.name ? parseMedItem(byKind.name, true) : null;
        const name = inName?.name ?? cleanName(byKind.name ?? '');
        if (name) {
          med = inName ?? empty(name);
          // "Amoxicillin Oral Suspension" in the name column: the drug and its form.
          const form = inName ? null : FORM_AT_END.exec(name);
          if (form && form.index > 0 && !byKind.form) {
            med.name = name.slice(0, form.index).trim();
            med.form = form[1]!;
          }
          const dose = byKind.strength ? DOSE_RE.exec(plainText(byKind.strength)) : null;
          if (dose) med.strength = plainText(byKind.strength!).trim();
          if (byKind.form) med.form = byKind.form;
          if (byKind.instructions) readSig(byKind.instructions, med);
          if (byKind.form) med.form = byKind.form;
          if (byKind.status) med.status = medicationStatusIn(byKind.status);
        }
      } else med = parseMedItem(line.text, false);
      if (!med) break;
      used.add(line);
      used.add(last);
      out.push({ ...med, evidence: last === line ? lineEvidence(line) : spanEvidence(line, last), confidence: med.strength ? 0.85 : 0.65 });
      j = lines.indexOf(last);
    }
  }
  return out;
}

/** Sentences of prose naming a drug with its strength. The evidence spans the lines the sentence is on. */
function proseMedications(lines: Line[], sections: Map<Line, Section>, used: Set<Line>): Medication[] {
  const out: Medication[] = [];
  const lead = new RegExp(String.raw`^(?:${MEDICATION_PROSE_LEAD.join('|')})\s*:?\s*`, 'i');
  // Paragraphs: runs of consecutive lines that are not list items, table rows or labels.
  let para: Line[] = [];
  const flush = (): void => {
    if (para.length === 0) return;
    const text = para.map((l) => plainText(l.text)).join(' ');
    const starts: number[] = [];
    let pos = 0;
    for (const l of para) {
      starts.push(pos);
      pos += plainText(l.text).length + 1;
    }
    const lineAt = (offset: number): Line =>
      para[
        Math.max(
          0,
          starts.findIndex((s, k) => offset >= s && (starts[k + 1] ?? Infinity) > offset),
        )
      ]!;
    const re = /[^.;]+(?:\.(?=\d)[^.;]*)*[.;]?/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const sentence = m[0].trim();
      if (sentence === '') continue;
      const l = lead.exec(sentence);
      const inSection = sections.get(para[0]!) === 'medications';
      if (!l && !inSection) continue;
      const med = parseMedItem(sentence.slice(l ? l[0].length : 0), true);
      if (!med) continue;
      const first = lineAt(m.index + (m[0].length - m[0].trimStart().length));
      const last = lineAt(m.index + m[0].trimEnd().length - 1);
      const evidence: Evidence = first === last ? lineEvidence(first) : spanEvidence(first, last);
      out.push({ ...med, evidence, confidence: 0.7 });
    }
    para = [];
  };
  for (const line of lines) {
    // A heading ("History", "Current Medications") is not part of the paragraph under it.
    const heading = line.text.split(/\s+/).length <= 4 && !/[.,;]/.test(line.text) && /^\p{Lu}/u.test(line.text) && !DOSE_RE.test(line.text);
    const prose = !heading && !used.has(line) && !BULLET.test(line.text) && !/\s{2,}/.test(line.text) && !/^[^:]{1,40}:\s*$/.test(line.text);
    if (!prose || (para.length > 0 && sections.get(para[0]!) !== sections.get(line))) flush();
    if (prose) para.push(line);
  }
  flush();
  return out;
}

export function medications(pageLines: Line[][], sections: Map<Line, Section>, kvs: LabelValue[]): Medication[] {
  const out: Medication[] = [];
  const used = new Set<Line>();
  for (const lines of pageLines) {
    out.push(...tableMedications(lines, used));
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (used.has(line)) continue;
      const inSection = sections.get(line) === 'medications';
      if (/^\s*sig\s*:/i.test(line.text)) continue;
      if (/:\s*\S/.test(line.text) && !inSection && !/^\W*rx\s*:/i.test(line.text)) continue; // label lines are read below
      const bulleted = BULLET.test(line.text);
      // An item wrapped onto the next line ("2. Gabapentin (100 mg) Take 1 capsule at" / "bedtime"): that line
      // is its rest when it is no item of its own, no label and no heading, and reads as directions.
      let text = line.text;
      let lastLine = line;
      const wrap = lines[i + 1];
      if (
        inSection &&
        bulleted &&
        wrap &&
        sections.get(wrap) === 'medications' &&
        !used.has(wrap) &&
        !BULLET.test(wrap.text) &&
        !/:/.test(wrap.text) &&
        !/[.;]$/.test(line.text) &&
        !parseMedItem(wrap.text, true) &&
        (/^\p{Ll}/u.test(wrap.text) ||
          UNFINISHED_CELL.test(plainText(line.text)) ||
          /^\d/.test(wrap.text) ||
          (frequencyOf(wrap.text) !== null && wrap.text.length <= 40))
      ) {
        text = `${line.text} ${wrap.text}`;
        lastLine = wrap;
      }
      // A headerless table row in its own column order, its directions maybe wrapped onto the next line.
      let cellwise: MedParse | null = null;
      if (inSection && !bulleted) {
        let cells = cellsOf(line.text);
        const unfinished = cells.findIndex((c) => UNFINISHED_CELL.test(plainText(c)));
        if (unfinished >= 0 && wrap && !used.has(wrap) && /^\p{Ll}/u.test(wrap.text) && cellsOf(wrap.text).length === 1 && !/:/.test(wrap.text)) {
          cells = cells.map((c, n) => (n === unfinished ? `${c} ${wrap.text.trim()}` : c));
          cellwise = cellwiseMedication(cells);
          if (cellwise) lastLine = wrap;
        } else cellwise = cellwiseMedication(cells);
      }
      const med = cellwise ?? parseMedItem(text, !inSection || !bulleted);
      if (!med) continue;
      // Directions on the next line ('Sig: 2 tablets daily', 'Directions: 1 tablet daily') make a drug line an item too.
      const SIG_LINE = /^\W*(?:sig|directions?)\b\s*[:.]?/i;
      const sigBelow = lines[i + 1] !== undefined && lastLine === line && SIG_LINE.test(lines[i + 1]!.text);
      if (!inSection && !(med.frequency || med.route || /^\W*rx\s*:/i.test(line.text) || sigBelow)) continue;
      if (!bulleted && !/\s{2,}/.test(line.text) && /[.;]\s*\S/.test(line.text)) continue; // prose: read sentence by sentence
      // The directions may follow on a "Sig:" line; the evidence then spans both lines.
      let evidence = lastLine === line ? lineEvidence(line) : spanEvidence(line, lastLine);
      used.add(lastLine);
      const next = lines[i + 1];
      if (next && sigBelow) {
        const sig = plainText(next.text).replace(SIG_LINE, '').trim();
        // The drug line's words after the strength are then its form ("MDI Inhaler"), the sig the directions.
        const printedForm = [med.form, med.instructions].filter(Boolean).join(' ') || null;
        readSig(sig, med);
        med.form = printedForm && printedForm.length <= 25 ? printedForm : med.form;
        evidence = spanEvidence(line, next);
        used.add(next);
        const after = lines[i + 2];
        const q = after ? QUANTITY_RE.exec(plainText(after.text)) : null;
        if (after && q && /^\W*(disp|qty|quantity)/i.test(after.text)) {
          med.quantity = q[1]!;
          evidence = spanEvidence(line, after);
          used.add(after);
        }
      }
      used.add(line);
      const confidence = inSection ? (med.strength ? 0.85 : 0.6) : 0.6;
      out.push({ ...med, evidence, confidence });
    }
    out.push(...proseMedications(lines, sections, used));
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'medications' || kv.nextLine || isBlank(kv.value)) continue;
    if (FORM_TEMPLATE.test(kv.value) || used.has(kv.line)) continue;
    for (const item of splitList(kv.value).flatMap((x) => x.split(/\.\s+(?=\p{Lu})/u))) {
      const med = parseMedItem(item.replace(/\.$/, ''), false);
      if (med) out.push({ ...med, evidence: lineEvidence(kv.line), confidence: med.strength ? 0.8 : 0.55 });
    }
  }
  return out;
}
