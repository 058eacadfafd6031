/**
 * The words the layout mechanisms know, as plain data. Nothing here names a particular document:
 * these are the shapes of page furniture and the field labels forms commonly print without a colon.
 * Callers may pass their own lists (LayoutOptions) in place of these.
 */

/** A line that is only a page number ("Page 2 of 5", "2/5", "- 2 -", "2"), compared lowercased. */
export const PAGE_NUMBER_SHAPES: readonly string[] = [
  '^(page|pg\\.?|p\\.)\\s*\\d+(\\s*(of|/)\\s*\\d+)?$',
  '^\\d+\\s*(of|/)\\s*\\d+$',
  '^[-–—]?\\s*\\d{1,4}\\s*[-–—]?$',
];

/**
 * Labels printed without a trailing colon that still name the value beside or below them (form
 * captions). Compared case-insensitively with the whole cell, punctuation ignored.
 */
export const KNOWN_LABELS: readonly string[] = [
  'name',
  'patient name',
  'first name',
  'last name',
  'middle name',
  'middle',
  'middle initial',
  'date of birth',
  'dob',
  'birth date',
  'age',
  'sex',
  'gender',
  'mrn',
  'medical record number',
  'patient id',
  'account number',
  'address',
  'home address',
  'city',
  'state',
  'zip',
  'zip code',
  'phone',
  'telephone',
  'email',
  'date',
  'date of service',
  'member id',
  'group number',
  'policy number',
  'insurance',
  'payer',
  'provider',
  'physician',
  'signature',
  'lot',
  'lot number',
  'manufacturer',
  'route',
  'site',
  'dose',
];

/** Parts of a font's name that mean bold type ("Helvetica-Bold", "Arial-BoldMT", "Inter-SemiBold"). */
export const BOLD_FONT_NAMES: readonly string[] = ['bold', 'black', 'heavy', 'semibold', 'demi'];

/** A title saying that its table goes on from the previous page ("Results (continued)", "cont'd"). */
export const CONTINUED_MARKERS: readonly string[] = ['\\bcontinued\\b', "\\bcont(\\.|'d|’d|d)(\\s|$)", '\\(cont\\b'];
