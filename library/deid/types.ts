/**
 * The shapes of de-identification (library/deid): what the detector finds in page text, and the categories
 * of protected health information it finds, after the Safe Harbor list of 45 CFR 164.514(b)(2).
 */

/**
 * A category of identifier. Each becomes one kind of stand-in token (`[[PERSON_1]]`, `[[MRN_2]]`, ...):
 * - PERSON     a person's name (patient, relative, clinician), in any order or case, with initials
 * - DATE       a date (any element more specific than the year: day, month), in any format
 * - AGE        an age over 89
 * - PHONE      a telephone number;  FAX a fax number
 * - EMAIL      an e-mail address;   URL a web address;  IP an IPv4/IPv6 address
 * - SSN        a social security number; NHS an NHS number (checksum)
 * - MRN        a medical record number / patient id
 * - PLAN_ID    a health plan beneficiary, member, subscriber, policy or group number
 * - ACCOUNT    an account, claim, invoice, encounter or visit number; CARD a payment card number (Luhn)
 * - LICENSE    a certificate or licence number (DEA, state licence, NPI of a person)
 * - VEHICLE    a vehicle identifier or plate;  DEVICE a device identifier or serial number
 * - ADDRESS    a street address line (number and street, PO box, unit)
 * - PLACE      a city, town or county smaller than a state
 * - ZIP        a ZIP or postal code
 * - ID         any other unique identifying number or code
 */
export { PHI_CATEGORIES, type PhiCategory } from '../../core/contract/deid.js';
import type { PhiCategory } from '../../core/contract/deid.js';

/** Which layer found a span (for measurement; the replacement treats them alike). */
export type DetectionSource = 'label' | 'checksum' | 'pattern' | 'dictionary' | 'alias';

/** A person's name as parsed from one mention: lets mentions in other orders and cases be tied to one person. */
export interface ParsedName {
  /** Given names and middle names or initials as printed (without dots), in order. */
  given: string[];
  /** The family name(s) as printed. */
  family: string[];
  /** A title that was printed with it ("Dr", "Mr", "Mrs", "Ms", "Prof"), without the dot. */
  title?: string;
}

/** One identifier found in one page's text: `text` is `pageText.slice(start, end)`. */
export interface PhiSpan {
  page: number;
  start: number;
  end: number;
  category: PhiCategory;
  text: string;
  source: DetectionSource;
  /** PERSON spans: the name parsed (a title or a label like "Attending:" is never part of the span). */
  name?: ParsedName;
}

/** The text of one page, as library/extraction reads it. */
export interface DeidPage {
  page: number;
  text: string;
}

/** Categories whose identity is their letters and digits, whatever the separators ("555-123-4567" = "(555) 123 4567"). */
export const CODE_LIKE: ReadonlySet<PhiCategory> = new Set<PhiCategory>([
  'PHONE',
  'FAX',
  'SSN',
  'NHS',
  'MRN',
  'PLAN_ID',
  'ACCOUNT',
  'CARD',
  'LICENSE',
  'VEHICLE',
  'DEVICE',
  'ZIP',
  'ID',
  'IP',
]);
