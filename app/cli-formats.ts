/** The outputs `medextract process` can write per document, and reading `--format`. */

/** What `process` writes per document: the workbook, the JSON, a FHIR R4 Bundle (`<name>.fhir.json`). */
export const OUTPUT_FORMATS = ['xlsx', 'json', 'fhir'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const DEFAULT_FORMATS: readonly OutputFormat[] = ['xlsx', 'json'];

/** `--format xlsx,fhir` → the formats, once each, in the order of OUTPUT_FORMATS; an Error naming what is wrong otherwise. */
export function parseFormats(list: string): OutputFormat[] {
  const asked = list
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '');
  const unknown = asked.filter((f) => !(OUTPUT_FORMATS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new Error(`unknown format ${unknown.map((f) => `"${f}"`).join(', ')}: choose from ${OUTPUT_FORMATS.join(', ')}`);
  if (asked.length === 0) throw new Error(`name at least one format: ${OUTPUT_FORMATS.join(', ')}`);
  return OUTPUT_FORMATS.filter((f) => asked.includes(f));
}
