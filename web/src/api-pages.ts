/** Page images at a chosen resolution, for zooming into a page (types from the results contract). */
import type { PageImageDpi } from '../../api/contract/results.js';
import { request } from './api.js';

export type { PageImageDpi };

/** The page as a PNG rendered at `dpi` (100 is the screen view); fetched with the bearer token, which an <img src> could not send. */
export async function getPageImageAt(id: string, page: number, dpi: PageImageDpi): Promise<Blob> {
  const res = await request('GET', `/jobs/${encodeURIComponent(id)}/pages/${page}/image${dpi === 100 ? '' : `?dpi=${dpi}`}`);
  return res.blob();
}
