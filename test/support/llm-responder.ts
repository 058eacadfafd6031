/**
 * What the test LLM server answers: it reads the pages back out of the prompt (the `=== Page N ===`
 * markers the provider writes) and runs the offline rules on them, so the OpenAI path is checked
 * end to end against real ground truth without a real model.
 */
import type { PageText } from '../../core/contract/extraction.js';
import { extractOffline } from '../../library/extraction/offline/index.js';
import type { ChatRequest } from './openai-server.js';

export function pagesFromPrompt(req: ChatRequest): PageText[] {
  // The document is the first user message; later ones (a repair request's instruction) hold no page text.
  const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
  const pages: PageText[] = [];
  const re = /^=== Page (\d+) ===$/gm;
  const marks = [...user.matchAll(re)];
  marks.forEach((m, i) => {
    const start = m.index! + m[0].length + 1;
    const end = i + 1 < marks.length ? marks[i + 1]!.index! - 1 : user.length;
    pages.push({ page: Number(m[1]), text: user.slice(start, end) });
  });
  return pages;
}

export function offlineResponder(req: ChatRequest): unknown {
  const { schema_version: _v, ...body } = extractOffline(pagesFromPrompt(req));
  return JSON.parse(JSON.stringify(body, (k, v) => (k === 'found' ? undefined : v)));
}
