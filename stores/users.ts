/** The `users` table: accounts, their role, whether they are disabled, their password hash, and whether a second factor is on (its rows: stores/mfa.ts). */
import crypto from 'node:crypto';
import { db } from './pool.js';

export const USER_ROLES = ['admin', 'user', 'reviewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface UserRow {
  id: string;
  username: string;
  role: UserRole;
  disabled: boolean;
  created_at: Date;
  mfa_enabled: boolean;
}

export interface UserCredentials {
  id: string;
  username: string;
  role: UserRole;
  disabled: boolean;
  password_hash: string;
  mfa_enabled: boolean;
}

const USER_COLUMNS = 'id, username, role, disabled, created_at, (mfa_enabled_at IS NOT NULL) AS mfa_enabled';

/** Usernames are matched without regard to case ("Alice" and "alice" are one account). */
export async function findCredentials(username: string): Promise<UserCredentials | undefined> {
  const r = await db().query<UserCredentials>(
    'SELECT id, username, role, disabled, password_hash, (mfa_enabled_at IS NOT NULL) AS mfa_enabled FROM users WHERE lower(username) = lower($1)',
    [username],
  );
  return r.rows[0];
}

export async function passwordHashOf(userId: string): Promise<string | undefined> {
  const r = await db().query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId]);
  return r.rows[0]?.password_hash;
}

export async function anyUserExists(): Promise<boolean> {
  const r = await db().query('SELECT 1 FROM users LIMIT 1');
  return (r.rowCount ?? 0) > 0;
}

export async function listUsers(): Promise<UserRow[]> {
  const r = await db().query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, lower(username)`);
  return r.rows;
}

export async function getUser(id: string): Promise<UserRow | undefined> {
  const r = await db().query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return r.rows[0];
}

export interface NewUser {
  username: string;
  passwordHash: string;
  role: UserRole;
  /** Creation (and password) time; the database's clock when not given. */
  at?: Date;
}

/** The new account, or undefined when the username (in any case) is already taken. */
export async function createUserIfAbsent(u: NewUser): Promise<UserRow | undefined> {
  const r = await db().query<UserRow>(
    `INSERT INTO users (id, username, password_hash, role, created_at, password_changed_at)
     VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()), coalesce($5::timestamptz, now()))
     ON CONFLICT ((lower(username))) DO NOTHING
     RETURNING ${USER_COLUMNS}`,
    [crypto.randomUUID(), u.username, u.passwordHash, u.role, u.at ?? null],
  );
  return r.rows[0];
}

export interface UserChange {
  disabled?: boolean;
  role?: UserRole;
  password?: { hash: string; changedAt: Date };
}

/** Applies the given changes (at least one); undefined when there is no such user. */
export async function updateUser(id: string, change: UserChange): Promise<UserRow | undefined> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  const set = (column: string, value: unknown) => {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  if (change.disabled !== undefined) set('disabled', change.disabled);
  if (change.role !== undefined) set('role', change.role);
  if (change.password !== undefined) {
    set('password_hash', change.password.hash);
    set('password_changed_at', change.password.changedAt);
  }
  if (sets.length === 0) return getUser(id);
  const r = await db().query<UserRow>(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`, values);
  return r.rows[0];
}

export async function setPasswordHash(userId: string, hash: string, changedAt: Date): Promise<void> {
  await db().query('UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1', [userId, hash, changedAt]);
}
