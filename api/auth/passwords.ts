/** Password hashing (bcryptjs, cost 12) and the password rules. */
import bcrypt from 'bcryptjs';
import { ApiError } from '../errors.js';

export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt only reads the first 72 bytes; longer passwords are refused instead of silently cut. */
export const MAX_PASSWORD_BYTES = 72;

/** Throws a 400 naming the rule a password breaks. */
export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ApiError(400, 'WeakPassword', `the password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new ApiError(400, 'PasswordTooLong', `the password must be at most ${MAX_PASSWORD_BYTES} bytes long (bcrypt ignores anything after that)`);
  }
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

// Compared against when the user does not exist, so a wrong username costs the same time as a wrong password.
const DUMMY_HASH = bcrypt.hashSync('medextract-timing-equaliser', BCRYPT_COST);

export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    await bcrypt.compare('x', hash ?? DUMMY_HASH);
    return false;
  }
  const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH);
  return ok && hash !== undefined;
}
