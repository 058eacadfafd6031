/**
 * Sections: a heading and the body lines after it, up to the next heading or a change of layout (a
 * table starting after other content, or a table ending). Running headers and footers never join a
 * section; a section does carry on over a page break.
 */
import { headingTitle, isHeading } from './headings.js';
import type { LayoutLine, LayoutTable, Section, SectionEnd } from './types.js';

export function findSections(
  body: readonly LayoutLine[],
  tables: readonly LayoutTable[],
  tableOf: ReadonlyMap<LayoutLine, number>,
  bodySize: number,
): Section[] {
  const titles = new Set(tables.flatMap((t) => (t.title ? [t.title] : [])));
  const sections: Section[] = [];
  let current: Section = { title: '', lines: [], tables: [], pages: [], end: 'end' };
  let lastWasTable = false;
  const close = (end: SectionEnd) => {
    if (current.heading || current.lines.length > 0) {
      current.end = end;
      current.pages = [...new Set([...(current.heading ? [current.heading.page] : []), ...current.lines.map((l) => l.page)])];
      sections.push(current);
    }
  };
  body.forEach((line, k) => {
    const t = tableOf.get(line);
    if (t === undefined && (titles.has(line) || isHeading(line, { bodySize, prev: body[k - 1], next: body[k + 1] }))) {
      close('heading');
      current = { heading: line, title: headingTitle(line), lines: [], tables: [], pages: [], end: 'end' };
      lastWasTable = false;
      return;
    }
    if (t !== undefined) {
      if (!current.tables.includes(t)) {
        // A table starting after other content begins a section of its own.
        if (current.lines.length > 0 && !lastWasTable) {
          close('table-start');
          current = { title: '', lines: [], tables: [], pages: [], end: 'end' };
        }
        current.tables.push(t);
      }
      current.lines.push(line);
      lastWasTable = true;
      return;
    }
    if (lastWasTable) {
      close('table-end');
      current = { title: '', lines: [], tables: [], pages: [], end: 'end' };
    }
    current.lines.push(line);
    lastWasTable = false;
  });
  close('end');
  return sections;
}
