/**
 * Typed failures a person can act on. `type` is a stable code (shown in the API, the CLI and the
 * workbook); `message` is plain language and never contains document text.
 */
export type FailureType =
  | 'InvalidPdf' // not a PDF, or too damaged to read
  | 'PasswordRequired' // encrypted and no password was given
  | 'PasswordIncorrect' // encrypted, and the password given does not open it
  | 'InvalidImage' // an image file that is corrupt or truncated
  | 'UnsupportedFormat' // a file kind the pipeline does not read (GIF, HEIC, ...)
  | 'TooManyPages' // over MAX_PAGES
  | 'EmptyPdf' // zero pages
  | 'ImageTooLarge' // a page or image would need more pixels than we allow (pixel/decompression bomb)
  | 'TooLarge' // file over the size cap
  | 'Timeout' // a page took too long to parse/render (retried a few times: a starved or stuck attempt can pass)
  | 'ExtractionFailed' // the model answered with something unusable, after retries
  | 'RateLimited' // the LLM provider answered 429 (retryable)
  | 'ProviderUnavailable' // the LLM provider failed (5xx, network) (retryable)
  | 'DeidentificationFailed' // an identifier was still in the text to be sent to the LLM: the request was not sent
  | 'DocumentKeyMissing' // the row was encrypted under a key id that DOCUMENT_KEYS does not list
  | 'DocumentUnreadable' // the stored bytes do not authenticate under their key (altered, moved, or the key changed)
  | 'NotFound';

/** Failures that retrying cannot fix: the workflow ends the job as `failed` with this type. */
export const NON_RETRYABLE: ReadonlySet<FailureType> = new Set<FailureType>([
  'InvalidPdf',
  'PasswordRequired',
  'PasswordIncorrect',
  'InvalidImage',
  'UnsupportedFormat',
  'TooManyPages',
  'EmptyPdf',
  'ImageTooLarge',
  'TooLarge',
  'ExtractionFailed',
  'DeidentificationFailed',
  'DocumentKeyMissing',
  'DocumentUnreadable',
  'NotFound',
]);

export class PipelineError extends Error {
  readonly type: FailureType;
  /** Seconds to wait before a retry (e.g. from a Retry-After header). */
  readonly retryAfterSeconds?: number;
  constructor(type: FailureType, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = type;
    this.type = type;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  get retryable(): boolean {
    return !NON_RETRYABLE.has(this.type);
  }
}
