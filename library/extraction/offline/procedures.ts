/** Procedures: CPT coded inline, rows of a table with a CPT column, items of a procedures section. */
import type { Procedure } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import { cleanDescription } from './diagnoses.js';
import { cleanPersonName } from './patient.js';
import { cellsOf } from './labels.js';
import type { Section } from './lexicon.js';
import { MONTH_PATTERN } from './lexicon.js';
import type { LabelValue } from './labels.js';
import { MODALITY_WORDS, PROCEDURE_COLUMN_WORDS, PROCEDURE_LABELS, READER_WORDS, STUDY_HEADINGS } from './vocabulary.js';
import type { Line } from './lines.js';
import { lineEvidence, spanEvidence } from './lines.js';
import { BULLET, group, plainText } from './text.js';

const INLINE_CPT = /\(?\s*\bCPT(?:\s*code)?\s*[:#]?\s*(\d{4}[0-9A-Z])\b\s*\)?/i;
const STUDY_HEADING = new RegExp(String.raw`^(?:${STUDY_HEADINGS.join('|')})\s*:?$`, 'i');
const MODALITY = new RegExp(String.raw`^(?:${MODALITY_WORDS.join('|')})\b`, 'i');
/** A study label opening a cell without its colon ("Procedure MRI Lumbar Spine"). */
const STUDY_LABEL_LEAD = new RegExp(String.raw`^(?:${PROCEDURE_LABELS.join('|')})\s*:?\s+`, 'i');
/** A value that stops mid-phrase, at a connecting word. */
const ADDRESSES_READER = new RegExp(String.raw`\b(?:${READER_WORDS.join('|')})\b`, 'i');
const UNFINISHED = /\b(?:with|without|and|or|of|to|for|&)$|,$/i;
/** A code's opening left at the end of a line ("CT Head (CPT"), its number wrapped onto the next. */
const DANGLING_CPT = /\s*\(\s*CPT(?:\s*code)?\s*[:#]?\s*$/i;

/**
 * The code of a value wrapped onto the next line: a cell of that line that is only a code, "(CPT 74177)",
 * or, after a dangling "(CPT", the bare number "74177)".
 */
function wrappedCode(value: string, line: Line, lines: Line[]): { code: string; evidence: ReturnType<typeof spanEvidence>; next: Line } | null {
  const next = lines[line.index + 1];
  if (!next) return null;
  const cell = DANGLING_CPT.test(value)
    ? /^\(?\s*(?:CPT(?:\s*code)?\s*[:#]?\s*)?(\d{4}[0-9A-Z])\s*\)?$/i
    : /^\(\s*CPT(?:\s*code)?\s*[:#]?\s*(\d{4}[0-9A-Z])\s*\)$/i;
  for (const c of cellsOf(plainText(next.text))) {
    const m = cell.exec(c.trim());
    if (m) return { code: m[1]!, evidence: spanEvidence(line, next), next };
  }
  return null;
}

/** The study an imaging report names: a study label's value, or the first sentence under a technique heading opening with a modality. */
function studies(pageLines: Line[][], kvs: LabelValue[], continued: Set<Line>): Procedure[] {
  const out: Procedure[] = [];
  for (const kv of kvs) {
    if (!PROCEDURE_LABELS.includes(kv.key)) continue;
    let v = plainText(kv.value).split(/\.\s/)[0]!;
    let evidence = lineEvidence(kv.line);
    const lines = pageLines[kv.line.page - 1] ?? [];
    if (UNFINISHED.test(v)) {
      // A value cut at its column's edge ("CT Head without" / "contrast"): the rest is the cell at the
      // same place on the next line, when that line holds one cell per value of this one.
      const next = lines[kv.line.index + 1];
      const row = kvs.filter((k) => k.line === kv.line);
      const cells = next && !/:/.test(next.text) ? cellsOf(plainText(next.text)) : [];
      // (or, one cell below the row's last value, the rest of that value).
      const at = cells.length === row.length ? row.indexOf(kv) : cells.length === 1 && row.indexOf(kv) === row.length - 1 ? 0 : -1;
      if (at < 0) continue;
      v = `${v} ${cells[at]!}`;
      evidence = spanEvidence(kv.line, next!);
      continued.add(next!);
    }
    const inline = INLINE_CPT.exec(v);
    const wrapped = inline ? null : wrappedCode(v, kv.line, lines);
    if (wrapped) continued.add(wrapped.next);
    const name = cleanDescription((inline ? v.replace(inline[0], '') : v).replace(DANGLING_CPT, ''));
    if (name.length >= 3 && name.length <= 80 && /\p{L}{2}/u.test(name))
      out.push({ name, code: inline?.[1] ?? wrapped?.code ?? null, date: null, evidence: wrapped?.evidence ?? evidence, confidence: 0.7 });
  }
  for (const lines of pageLines) {
    lines.forEach((line, i) => {
      const next = lines[i + 1];
      if (!STUDY_HEADING.test(line.text.trim()) || !next || !MODALITY.test(next.text)) return;
      const name = cleanDescription(plainText(next.text).split(/\.(?:\s|$)/)[0]!);
      if (name.length >= 3 && name.length <= 80) out.push({ name, code: null, date: null, evidence: lineEvidence(next), confidence: 0.65 });
    });
  }
  // One study named twice (a label and the technique) is one procedure.
  const key = (p: Procedure): string =>
    p.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  return out.filter((p, i) => out.findIndex((q) => key(q) === key(p)) === i);
}

export function procedures(pageLines: Line[][], sections: Map<Line, Section>, dates: DateContext, kvs: LabelValue[] = []): Procedure[] {
  // Lines that carry the rest of a study's value are no procedures of their own.
  const continued = new Set<Line>();
  const out: Procedure[] = studies(pageLines, kvs, continued);
  for (const lines of pageLines) {
    // A table with a CPT column ("Service DescriptionCPT Code  Amount"): text layers may glue the header cells.
    // Only the lines below the header of a CPT column are its rows (not an address above it).
    let sectionItem: { item: Procedure; line: Line; printed: string } | null = null;
    const cptHeader = lines.findIndex((l) => /(?<![A-Z])CPT(?:\/HCPCS)?\b(?!\s*[:#])/.test(l.text) && !/\bCPT\s*[:#]?\s*\d/i.test(l.text));
    for (const line of lines) {
      const text = plainText(line.text);
      const date = parseDate(text, dates)?.iso ?? null;
      const inline = /\(?\s*\bCPT(?:\s*code)?\s*[:#]?\s*(\d{4}[0-9A-Z])\b\s*\)?/i.exec(text);
      if (inline && !continued.has(line)) {
        // The name is the code's own cell, not a date's or a mark's before it ("Mar 7, 2026  CT A/P (CPT 74177)"),
        // with the cells before it that it continues (a gap inside a phrase: "Office visit, new  patient").
        const cells = text
          .slice(0, inline.index)
          .trimEnd()
          .split(/\s{2,}|\s+\|\s+|\t/);
        let from = cells.length - 1;
        while (from > 0 && (UNFINISHED.test(cells[from - 1]!) || /^\p{Ll}/u.test(cells[from]!))) from--;
        const before = cells.slice(from).join(' ');
        const name = cleanDescription(before) || cleanDescription(text.slice(inline.index + inline[0].length).split(/\s+[-–]\s+|\s{2,}/)[0] ?? '');
        // A code alone on a line ("2025  (CPT 74177)") belongs to the value above it, read with that value.
        const letters = name.replace(new RegExp(MONTH_PATTERN, 'gi'), '').match(/\p{L}/gu)?.length ?? 0;
        // Nor is the tail of a phrase cut on the line above ("... MRI Lumbar Spine without" / "contrast (CPT 72148)").
        const prev = lines[line.index - 1];
        const fragment = /^\p{Ll}/u.test(name) && prev !== undefined && UNFINISHED.test(plainText(prev.text));
        if (fragment) {
          // Its head is the last cell above when a study label or a modality opens it ("Procedure MRI Lumbar Spine without").
          const tail = cellsOf(plainText(prev.text)).pop() ?? '';
          const head = tail.replace(STUDY_LABEL_LEAD, '');
          if (head !== tail || MODALITY.test(head))
            out.push({ name: cleanDescription(`${head} ${name}`), code: inline[1]!, date, evidence: spanEvidence(prev, line), confidence: 0.75 });
        } else if (name.length >= 3 && letters >= 3) out.push({ name, code: inline[1]!, date, evidence: lineEvidence(line), confidence: 0.85 });
        continue;
      }
      if (cptHeader >= 0 && line.index > cptHeader && !/\bP\.?\s?O\.?\s+Box\b/i.test(text) && !cleanPersonName(text.split(/\s{2,}/)[0] ?? '')) {
        // Bills: "Chest X-Ray (Bilateral)71046  ¹2,200" — a description then a 5-character code.
        const m = /^(?<name>[A-Za-z][^|]*?[A-Za-z)\]])\s*(?<code>\d{5}|\d{4}[A-Z])(?:\s|$)/.exec(text);
        // Not an address ("Any Town, CA 92126"), not a dated or totals line.
        const name = m ? group(m, 'name')! : '';
        if (m && !/\b(total|amount|date|invoice|mrn|zip)\b/i.test(name) && !/,\s*[A-Z]{2}$/.test(name) && !parseDate(name, dates)) {
          out.push({ name: group(m, 'name')!.trim(), code: group(m, 'code')!, date, evidence: lineEvidence(line), confidence: 0.55 });
          continue;
        }
      }
      if (sections.get(line) === 'procedures') {
        const cells = cellsOf(text);
        // A name cut at its column's edge goes on below in lower case ('Removal of skin tags, up to 15' /
        // 'lesions'): the rest of the item above, never an item of its own.
        if (/^\p{Ll}/u.test(cells[0] ?? '')) {
          const last = sectionItem?.line === lines[line.index - 1] ? sectionItem : null;
          if (last && cells[0]!.split(/\s+/).length <= 6 && !/[.!?]$/.test(cells[0]!)) {
            last.item.name = cleanDescription(`${last.printed} ${cells[0]!}`);
            last.item.evidence = spanEvidence(last.line, line);
          }
          sectionItem = null;
          continue;
        }
        sectionItem = null;
        // A table's header row ("Description  CPT") is no procedure; nor is a line of dates.
        if (cells.length >= 2 && cells.every((c) => PROCEDURE_COLUMN_WORDS.includes(c.toLowerCase().replace(/[:.]$/, '')))) continue;
        // "Procedure: CT Abdomen", "Chest X-ray, 2 views  71046": a label before, a code after.
        let rest = text.replace(/^(?:procedures?|operations?|study|exam(?:ination)?)\s*(?:performed|done)?\s*:\s*/i, '');
        if (/:\s*\S/.test(rest) && !BULLET.test(line.text)) continue;
        // A list item's marker is no part of it ('1.  Complete blood count', '-  99213 - Office visit').
        rest = rest.replace(BULLET, '');
        // Sentences of narrative ("CT Head without contrast. Comparison with ..."): the study rule reads those.
        if (/\p{L}{2}[.!?]\s+\p{Lu}/u.test(rest)) continue;
        let code: string | null = null;
        // A table row: the name's cell, then its code's cell, then another column's text beside it.
        const codeCell = cells.length >= 2 ? cells.findIndex((c, n) => n > 0 && /^(?:\d{4}[0-9A-Z]|[A-V]\d{4})$/.test(c)) : -1;
        if (codeCell > 0) {
          rest = cells.slice(0, codeCell).join('  ');
          code = cells[codeCell]!;
        }
        const coded = /^(?<name>.*?[\p{L})\]])[\s\W]*?(?<code>\d{4}[0-9A-Z]|[A-V]\d{4})\s*$/u.exec(rest);
        // The code first: '99213 - Office visit, established patient'.
        const codeFirst = /^(?<code>\d{4}[0-9A-Z]|[A-V]\d{4})\s*[-–—:]?\s+(?<name>\p{L}.*)$/u.exec(rest);
        if (coded && !code) {
          rest = group(coded, 'name')!;
          code = group(coded, 'code')!;
        } else if (codeFirst && !code) {
          rest = group(codeFirst, 'name')!;
          code = group(codeFirst, 'code')!;
        }
        // "Blood Glucose Monitoring - Fasting levels ranging 180-240 mg/dL": the name before a dash's comment.
        const printed = rest.split(/\s{2,}|\s+[-–—]\s+(?=.*(?:\d|\b[a-z]+\s+[a-z]+\b))/)[0]!;
        const name = cleanDescription(printed);
        const letters = name.replace(new RegExp(MONTH_PATTERN, 'gi'), '').match(/\p{L}/gu)?.length ?? 0;
        // A procedure's name never addresses the reader: 'Drink plenty of fluids unless you have been told' is advice.
        if (ADDRESSES_READER.test(name)) continue;
        if (name.length >= 3 && name.length <= 120 && letters >= 3 && !/[.!?]$/.test(name) && name.split(/\s+/).length <= 12) {
          const item: Procedure = { name, code, date, evidence: lineEvidence(line), confidence: code ? 0.75 : 0.6 };
          out.push(item);
          sectionItem = { item, line, printed };
        }
      }
    }
  }
  // One procedure named by several rules (a label, a table row, the technique) is one item; its code is kept.
  const label = /^(?:procedures?|operations?|study(?: type)?|exam(?:ination)?)\s*(?:performed|done)?\s*:\s*/i;
  const merged: Procedure[] = [];
  for (const p of out) {
    const inline = INLINE_CPT.exec(p.name);
    const name = cleanDescription(
      p.name
        .replace(INLINE_CPT, '')
        .replace(label, '')
        .replace(/\s{2,}\S{1,2}$/, ''),
    );
    const item = { ...p, name, code: p.code ?? inline?.[1] ?? null };
    const key = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
    const same = merged.find(
      (q) =>
        q.name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, ' ')
          .trim() === key,
    );
    if (!same) merged.push(item);
    else if (!same.code && item.code) Object.assign(same, { code: item.code, evidence: item.evidence });
  }
  return merged.filter((p) => p.name.length >= 3);
}
