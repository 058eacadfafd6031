/** Giving the password of a job's PDF after the job failed for the lack of it (or for a wrong one). */
import type { JobPasswordRequest } from '../../api/contract/job-password.js';
import type { JobView } from '../../api/contract/jobs.js';
import { request } from './api.js';

/** Sends the password; the job restarts and its view (status queued) comes back. */
export async function submitJobPassword(jobId: string, password: string): Promise<JobView> {
  const res = await request('POST', `/jobs/${encodeURIComponent(jobId)}/password`, { json: { password } satisfies JobPasswordRequest });
  return (await res.json()) as JobView;
}
