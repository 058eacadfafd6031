/**
 * Password hashing (bcryptjs, cost 12) and the password rules: at least 12 characters (Unicode code
 * points after NFKC, so "ﬀ" or a combining sequence is not counted twice and an emoji is one
 * character), at most 72 bytes (bcrypt reads no further), not guessable (zxcvbn with the common and
 * English dictionaries, score 3 of 4 or better) and not the username nor containing it.
 *
 * Passwords are NFKC-normalised before hashing and before verifying, so the same password typed on
 * another keyboard or OS (composed vs decomposed accents, full-width digits) still matches.
 */
import bcrypt from 'bcryptjs';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { ApiError } from '../errors.js';

export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt only reads the first 72 bytes; longer passwords are refused instead of silently cut. */
export const MAX_PASSWORD_BYTES = 72;
/** zxcvbn's 0..4: 3 is "safely unguessable: moderate protection from offline slow-hash scenario". */
export const MIN_PASSWORD_SCORE = 3;

/** The rule in one sentence, as the UI shows it before the first attempt. */
export const PASSWORD_RULE = `at least ${MIN_PASSWORD_LENGTH} characters, not a common or easily guessed password, and not containing your username`;

/** The one normal form passwords are hashed and compared in. */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

/** Length in Unicode code points (what a person counts as characters, near enough), after NFKC. */
export const passwordLength = (password: string): number => [...normalizePassword(password)].length;

// Built once: loading the dictionaries takes a moment, checking a password a few milliseconds.
let estimator: ZxcvbnFactory | undefined;
function strength(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return estimator;
}

const weak = (message: string) => new ApiError(400, 'WeakPassword', message);

/** Throws a 400 naming the rule a new password breaks (and, for a guessable one, how to do better). */
export function checkPasswordRules(password: string, username: string): void {
  const pw = normalizePassword(password);
  const length = [...pw].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw weak(`the password must be at least ${MIN_PASSWORD_LENGTH} characters long (it has ${length})`);
  }
  if (Buffer.byteLength(pw, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new ApiError(400, 'PasswordTooLong', `the password must be at most ${MAX_PASSWORD_BYTES} bytes long (bcrypt ignores anything after that)`);
  }
  const name = normalizePassword(username).trim().toLowerCase();
  if (name && pw.toLowerCase().includes(name)) {
    throw weak('the password must not be or contain your username');
  }
  const result = strength().check(pw, name ? [name] : []);
  if (result.score < MIN_PASSWORD_SCORE) {
    const why = result.feedback.warning ? `${result.feedback.warning.replace(/\.$/, '')}` : 'it would be guessed quickly';
    const hint = result.feedback.suggestions.length ? ` ${result.feedback.suggestions.join(' ')}` : ' Add a few more unrelated words.';
    throw weak(`the password is too easy to guess: ${why.charAt(0).toLowerCase()}${why.slice(1)}.${hint}`);
  }
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(normalizePassword(password), BCRYPT_COST);
}

// Compared against when the user does not exist, so a wrong username costs the same time as a wrong password.
const DUMMY_HASH = bcrypt.hashSync('medextract-timing-equaliser', BCRYPT_COST);

export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    await bcrypt.compare('x', hash ?? DUMMY_HASH);
    return false;
  }
  const normal = normalizePassword(password);
  if (await bcrypt.compare(normal, hash ?? DUMMY_HASH)) return hash !== undefined;
  // Hashes made before passwords were normalised hold the raw form. Only a password that NFKC changes
  // (rare: composed accents, ligatures, full-width forms) pays this second comparison.
  if (hash !== undefined && normal !== password) return bcrypt.compare(password, hash);
  return false;
}
