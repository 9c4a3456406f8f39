import { spanEndMs, spanStartMs } from './tree';
import type { ChatMessage, TraceDetail } from './types';

/** One turn of a conversation, read from one trace: what the user asked and what came back. */
export interface Turn {
  /** The last user message the trace's first LLM call received. */
  question: string | null;
  /** The text of the trace's last LLM answer (by end time). */
  answer: string | null;
  /** Tools called during the trace, in order (names, repeated when called again). */
  tools: string[];
  /** The first failed span's error ("RateLimitError: Rate limit reached"), if any. */
  failure: string | null;
  /** LLM calls without any message content: capture was off. */
  captureOff: boolean;
  generations: number;
}

function textOf(m: ChatMessage): string {
  const parts = Array.isArray(m.parts) ? m.parts : [];
  return parts
    .filter((p) => p.type === 'text' && typeof (p as { content?: unknown }).content === 'string')
    .map((p) => (p as { content: string }).content)
    .join('\n')
    .trim();
}

export function turnOf(detail: TraceDetail): Turn {
  const byStart = [...detail.spans].sort((a, b) => spanStartMs(a) - spanStartMs(b));
  const gens = byStart.filter((s) => s.kind === 'generation');
  let question: string | null = null;
  for (const g of gens) {
    const users = (g.inputMessages ?? []).filter((m) => m.role === 'user');
    const last = users.length ? textOf(users[users.length - 1]!) : '';
    if (last) {
      question = last;
      break;
    }
  }
  let answer: string | null = null;
  for (const g of [...gens].sort((a, b) => spanEndMs(b) - spanEndMs(a))) {
    const out = (g.outputMessages ?? []).map(textOf).filter(Boolean).join('\n');
    if (out) {
      answer = out;
      break;
    }
  }
  const tools = byStart.filter((s) => s.kind === 'tool' && s.toolName).map((s) => s.toolName!);
  const captureOff = gens.length > 0 && gens.every((s) => !s.inputMessages?.length && !s.outputMessages?.length && !s.systemInstructions);
  const failed = byStart.find((s) => s.status === 'error');
  const failure = failed ? [failed.errorType, failed.statusMessage].filter((v, i, all) => v && all.indexOf(v) === i).join(': ') || 'Error' : null;
  return { question, answer, tools, failure, captureOff, generations: gens.length };
}
