/**
 * What each file of ../shared/corpus/malformed/ must come to through the pipeline (MANIFEST.tsv says
 * which are recoverable): `completed`, or the typed error its job fails with — or, for a file that is no
 * document by its bytes, the UnsupportedFormat with which the CLI and POST /upload refuse it (no job).
 */
export const MALFORMED_OUTCOMES: Readonly<Record<string, string>> = {
  // Five bytes, 'oops\n': no PDF (nor image) by its bytes whatever its name, so it never becomes a job.
  'not_a_pdf__qpdf_bad1.pdf': 'UnsupportedFormat',
  'header_and_eof_only__ocrmypdf_invalid.pdf': 'InvalidPdf',
  'truncated__datalogics.pdf': 'InvalidPdf',
  'zero_pages__qpdf_empty.pdf': 'EmptyPdf',
  'no_trailer_unrecoverable__pdfjs_REDHAT-1531897-0.pdf': 'InvalidPdf',
  'page_tree_loop__pdfjs_Pages-tree-refs.pdf': 'InvalidPdf',
  // pdf.js walks the real page tree (1 page) instead of trusting the claimed 213 million.
  'bogus_page_count_213M__pdfjs_poppler-85140-0.pdf': 'completed',
  'encrypted_aes128_user_password__pypdf_r4.pdf': 'PasswordRequired',
  'encrypted_aes256_password_1234__pdfjs_print_protection.pdf': 'PasswordRequired',
  'encrypted_aes256_saslprep_password__pdfjs_saslprep-r6.pdf': 'PasswordRequired',
  'decompression_bomb_35000px__ocrmypdf_hugemono.pdf': 'ImageTooLarge',
  'encrypted_empty_user_password_restricted__pdfjs_secHandler.pdf': 'completed',
  'xref_keyword_missing__pdfjs.pdf': 'completed',
  'fuzzed_xref_int_overflow__pdfjs_GHOSTSCRIPT-698804-1.pdf': 'completed',
  'no_startxref_scanned__pdfjs_scan-bad.pdf': 'completed',
  'page_without_contents__ocrmypdf_no_contents.pdf': 'completed',
  'dynamic_xfa_claim__ocrmypdf_livecycle.pdf': 'completed',
};
