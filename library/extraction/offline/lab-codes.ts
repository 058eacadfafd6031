/**
 * LOINC codes printed with a lab test or a panel ("Haemoglobin (LOINC: 718-7)", "Hemoglobin [718-7]",
 * "Complete Blood Count (LOINC: 58410-2)", a column headed LOINC or Code), and the names without them.
 * A code is recognised by its shape — digits, a hyphen and the mod-10 check digit (`isLoincCode`) — together with what
 * says it is a code: a LOINC/code label, the brackets that close a test's name, or a column the table's
 * header names a code column. A code whose check digit fails is taken out of the name all the same (it
 * was printed as a code) but is no LOINC code, so it is not kept.
 */
import { isLoincCode } from '../../lab/index.js';
import { asUnit } from './lab-values.js';
import { plainText } from './text.js';

const CODE = String.raw`\d{1,7}-\d`;
/** Without a label a code has three digits or more before its hyphen: '1-8' is a range, and no range reads '100-4' (its low end above its high). */
const BARE_CODE = String.raw`\d{3,7}-\d`;
const LABEL = String.raw`(?:loinc(?:[\s-]*(?:code|no\.?|#|number|id))?|code)\s*[:#=]?\s*`;
/** A labelled code anywhere in a cell, with the brackets around it: '(LOINC: 718-7)', '[Code 718-7]', 'LOINC 718-7'. */
const LABELLED = new RegExp(
  String.raw`\s*(?:\(\s*${LABEL}(?<paren>${CODE})\s*\)|\[\s*${LABEL}(?<bracket>${CODE})\s*\]|\b${LABEL}(?<bare>${CODE})(?![\d-]))`,
  'i',
);
/**
 * A bare code in brackets closing a test's name: at the cell's end, before the colon of a label-style row,
 * or before the next cell where one space sets it apart ('Hemoglobin [718-7]', 'ALT (1742-6):', 'MCV (787-2) 86.0').
 */
const BRACKETED_END = new RegExp(String.raw`(?<=[\p{L}\p{N}%)])\s*(?:\((?<paren>${BARE_CODE})\)|\[(?<bracket>${BARE_CODE})\])(?=[\s:]|$)`, 'u');
/** A label whose code wrapped onto the next line ('Urinalysis [LOINC:' / '24356-8]'). */
const DANGLING_LABEL = new RegExp(String.raw`\s*[([]?\s*\bloinc(?:[\s-]*(?:code|no\.?|#|number|id))?\s*[:#=]?\s*$`, 'i');
/** The rest of a wrapped label, a cell of its own: the code, and the bracket that closes it ('24356-8]'). */
const CODE_REST = new RegExp(String.raw`^(?<code>${CODE})\s*[)\]]?$`);
/** A cell that is a bracketed code alone: a name's code wrapped under it ('Mean Corpuscular Volume' / '(787-2)'). */
const BRACKETED_CELL = new RegExp(String.raw`^[([](?<code>${BARE_CODE})[)\]]$`);
/** Under a code column: a cell that is a code, or a code run into the test's name ('718-7 Hemoglobin'). */
const CODE_CELL = new RegExp(String.raw`^(?<code>${BARE_CODE})(?:\s*$|\s+(?=\p{L}))`, 'u');

export interface PrintedCode {
  /** The code, or null when its check digit fails (printed as a code, but no LOINC code). */
  loinc: string | null;
  /** The rest of the cell the code was printed in ('' for a cell of its own). */
  cell: string;
  /** Read as a code column's cell, not printed within a name. */
  column: boolean;
  /** The label is at the cell's end and its code on the line below (`codeRest`). */
  wrapped?: boolean;
}

export interface CodedText {
  /** The text with each code (and its label or brackets) taken out; cells keep the gaps between them. */
  text: string;
  /** The codes taken out, in reading order. */
  codes: PrintedCode[];
}

const codeOrNull = (code: string): string | null => (isLoincCode(code) ? code : null);

/** One cell without its printed code, and the code. */
function takeFromCell(cell: string, codeColumn: boolean): PrintedCode | null {
  // The code set the name apart from a value or unit after it ('MCV (787-2) 86.0'): the two are cells of their own.
  const without = (m: RegExpExecArray) => {
    const left = cell.slice(0, m.index).trimEnd();
    const right = cell.slice(m.index + m[0].length).trimStart();
    if (right === '' || /^[:;,]/.test(right)) return (left + right).trim();
    const nextCell = /^[<>]?\d/.test(right) || asUnit(right.split(/\s+/)[0]!, false) !== null;
    return `${left}${nextCell ? '  ' : ' '}${right}`.trim();
  };
  const labelled = LABELLED.exec(cell);
  if (labelled) {
    const g = labelled.groups!;
    return { loinc: codeOrNull(g.paren ?? g.bracket ?? g.bare!), cell: without(labelled), column: false };
  }
  const bracketed = BRACKETED_END.exec(cell);
  const inBrackets = bracketed ? (bracketed.groups!.paren ?? bracketed.groups!.bracket!) : null;
  if (bracketed && inBrackets && isLoincCode(inBrackets)) return { loinc: inBrackets, cell: without(bracketed), column: false };
  const alone = BRACKETED_CELL.exec(cell.trim());
  if (alone && isLoincCode(alone.groups!.code!)) return { loinc: alone.groups!.code!, cell: '', column: false };
  const own = codeColumn ? CODE_CELL.exec(cell) : null;
  if (own) return { loinc: codeOrNull(own.groups!.code!), cell: cell.slice(own[0].length).trim(), column: true };
  const dangling = DANGLING_LABEL.exec(cell);
  if (dangling && dangling.index > 0) return { loinc: null, cell: without(dangling), column: false, wrapped: true };
  return null;
}

/**
 * A line holding the rest of a label wrapped at the end of the line above, in a cell of its own: its code
 * (null when the check digit fails) and the line's other cells; or undefined.
 */
export function codeRest(text: string): { code: string | null; after: string } | undefined {
  const cells = plainText(text)
    .trim()
    .split(/\s{2,}/);
  const at = cells.findIndex((c) => CODE_REST.test(c));
  if (at < 0) return undefined;
  const code = CODE_REST.exec(cells[at]!)!.groups!.code!;
  return { code: codeOrNull(code), after: cells.filter((_, n) => n !== at).join('  ') };
}

/**
 * A lab row's or a heading's text with its printed LOINC codes taken out, cell by cell (cells are set apart
 * by two spaces or more). `codeColumn`: the table's header names a code column, so a cell that is a code
 * (or opens with one) is that column's.
 */
export function takePrintedCodes(text: string, codeColumn: boolean): CodedText {
  const parts = plainText(text).split(/(\s{2,})/);
  const codes: PrintedCode[] = [];
  const kept: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const taken = takeFromCell(parts[i]!, codeColumn);
    if (!taken) {
      kept.push(parts[i]!, parts[i + 1] ?? '');
      continue;
    }
    codes.push(taken);
    // A cell of its own goes with the gap after it; a name keeps its place.
    if (taken.cell !== '') kept.push(taken.cell, parts[i + 1] ?? '');
  }
  return { text: kept.join('').trimEnd(), codes };
}

/** Whether a code's cell is the cell a name was read from ('Haemoglobin:' and 'Haemoglobin'). */
export function isCellOf(code: PrintedCode, name: string): boolean {
  const key = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  return code.cell !== '' && key(code.cell) === key(name);
}
