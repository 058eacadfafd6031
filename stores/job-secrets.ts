/**
 * A job's PDF password while the job needs it. (Scaffold: the password store lands with issue 13's
 * password work; until then no job has one.)
 */
export async function documentPassword(jobId: string): Promise<string | undefined> {
  void jobId;
  return undefined;
}
