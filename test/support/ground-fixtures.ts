/**
 * Grounding fixtures: a one-page text-layer PDF with given lines, and what a model that misreads some of
 * them answers (the test LLM server's respond), so a job shows each check end to end.
 */
import { emptyExtraction } from '../../core/contract/extraction.js';

/** A one-page Letter PDF whose text layer is `lines` (Helvetica 11 pt, top to bottom). */
export function linesPdf(lines: readonly string[]): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = ['BT', '/F1 11 Tf', ...lines.map((l, i) => `1 0 0 1 72 ${720 - i * 18} Tm (${esc(l)}) Tj`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A discharge summary whose patient is born (as printed) after the document's date. */
export const GROUNDING_LINES = [
  'DISCHARGE SUMMARY',
  'Date of discharge: 03/14/2024',
  'Patient: Rivera, Ana',
  'DOB: 07/22/2024',
  'Apixaban 5 mg tablet: 1 tablet by mouth two times daily',
  'Potassium 4.2 mmol/L (3.5-5.0) H',
  'WBC 14,200 /uL (4,500-11,000) H',
] as const;

/**
 * What a model answers for GROUNDING_LINES: every quote is verbatim page text, but the frequency is
 * `daily` for "two times daily" and potassium keeps an H its range contradicts. WBC 14200 for "14,200" and
 * the reversed name are the same values in another printed form.
 */
export function groundingAnswer(page = 1): Record<string, unknown> {
  const ev = (quote: string) => ({ page, quote });
  const { schema_version: _v, ...x } = emptyExtraction();
  return {
    ...x,
    document: {
      ...x.document,
      type: { value: 'discharge_summary', evidence: ev('DISCHARGE SUMMARY'), confidence: 0.95 },
      date: { value: '2024-03-14', evidence: ev('Date of discharge: 03/14/2024'), confidence: 0.9 },
    },
    patient: {
      ...x.patient,
      name: { value: 'Ana Rivera', evidence: ev('Patient: Rivera, Ana'), confidence: 0.95 },
      date_of_birth: { value: '2024-07-22', evidence: ev('DOB: 07/22/2024'), confidence: 0.9 },
    },
    medications: [
      {
        name: 'Apixaban',
        strength: '5 mg',
        form: null,
        instructions: null,
        duration: null,
        quantity: null,
        route: 'oral',
        frequency: 'daily',
        status: 'active',
        evidence: ev('Apixaban 5 mg tablet: 1 tablet by mouth two times daily'),
        confidence: 0.85,
      },
    ],
    lab_results: [
      {
        panel: null,
        panel_loinc: null,
        loinc: null,
        specimen: null,
        test: 'Potassium',
        value: 4.2,
        unit: 'mmol/L',
        reference_range: '3.5-5.0',
        flag: 'H',
        collected_at: null,
        evidence: ev('Potassium 4.2 mmol/L (3.5-5.0) H'),
        confidence: 0.9,
      },
      {
        panel: null,
        panel_loinc: null,
        loinc: null,
        specimen: null,
        test: 'WBC',
        value: 14200,
        unit: '/uL',
        reference_range: '4,500-11,000',
        flag: 'H',
        collected_at: null,
        evidence: ev('WBC 14,200 /uL (4,500-11,000) H'),
        confidence: 0.9,
      },
    ],
  };
}
