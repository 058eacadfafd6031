/** Sign-in locks (administrators), over the API (types from its contract). */
import type { LoginLockCleared, LoginLockList } from '../../api/contract/login-locks.js';
import { request } from './api.js';

export type LoginLocks = LoginLockList;

export async function listLoginLocks(): Promise<LoginLocks> {
  const res = await request('GET', '/login-locks');
  return (await res.json()) as LoginLockList;
}

/** Forgets the failures of an account, an address, or one (account, address) pair; returns how many. */
export async function clearLoginLock(which: { username?: string; address?: string }): Promise<number> {
  const q = new URLSearchParams();
  if (which.username) q.set('username', which.username);
  if (which.address) q.set('address', which.address);
  const res = await request('DELETE', `/login-locks?${q.toString()}`);
  return ((await res.json()) as LoginLockCleared).cleared;
}
