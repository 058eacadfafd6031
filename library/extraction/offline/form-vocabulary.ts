/**
 * Printed box labels of boxed claim forms (CMS-1500, editions 02/12 and 12-90), as data: a box's number
 * and the words of its label, the field its value fills, and the form's printed option words that are
 * captions inside boxes, never values.
 */
export type FormField = 'patient_name' | 'member_id' | 'group_number' | 'total_charge' | 'amount_paid' | 'diagnoses';

export interface BoxLabel {
  /** The printed box number ('1a', '21'). */
  number: string;
  /** The label's leading words (at least half must be read, OCR-tolerantly). */
  words: string[];
  field: FormField;
}

export const CMS1500_BOXES: readonly BoxLabel[] = [
  { number: '1a', words: ["insured's", 'i.d.', 'number'], field: 'member_id' },
  { number: '2', words: ["patient's", 'name'], field: 'patient_name' },
  { number: '11', words: ["insured's", 'policy', 'group', 'or', 'feca', 'number'], field: 'group_number' },
  { number: '21', words: ['diagnosis', 'or', 'nature', 'of', 'illness'], field: 'diagnoses' },
  { number: '28', words: ['total', 'charge'], field: 'total_charge' },
  { number: '29', words: ['amount', 'paid'], field: 'amount_paid' },
];

/** Words printed inside boxes as captions or options (compared without punctuation, lower case). */
export const FORM_CAPTIONS: readonly string[] = ['mm', 'dd', 'yy', 'yes', 'no', 'sex', 'm', 'f', 'code', 'from', 'to', 'signed', 'date'];

/** Glyphs OCR reads for a box's printed edge just left of a value ('|' as 'L', 'I', '['). */
export const BOX_EDGE_GLYPHS: readonly string[] = ['|', '[', ']', 'l', 'L', 'I'];
