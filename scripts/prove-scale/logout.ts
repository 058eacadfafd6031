/** Step 3: a token logged out through API 1 is refused by API 2 (sessions live in Postgres, not in a replica). */
import { login, record } from './system.js';
import type { Topology } from './topology.js';

export async function stepThreeLogout(t: Topology): Promise<void> {
  const [a, b] = t.apis;
  const token = await login(a!.url);
  const me = async () => (await fetch(`${b!.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const before = await me();
  const logout = (await fetch(`${a!.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status;
  const after = await me();
  record(
    '3. logout on API 1, token refused by API 2',
    before === 200 && logout === 204 && after === 401,
    `API 2 before: ${before}; logout on API 1: ${logout}; API 2 after: ${after}`,
  );
}
