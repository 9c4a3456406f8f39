import { parseJsonLenient } from '../messages';
import { providerFromServerAddress } from './provider';
import { compact, firstOf, str, type DialectMapper, type DialectResult } from './types';

/** OpenInference's marker for a payload hidden by OPENINFERENCE_HIDE_INPUTS/OUTPUTS: no content. */
const REDACTED = '__REDACTED__';
const payload = (...values: unknown[]) => {
  const v = firstOf(...values);
  return v === REDACTED ? undefined : parseJsonLenient(v);
};

/**
 * Lowest precedence: generic payloads (OpenInference input.value/output.value, Traceloop
 * traceloop.entity.input/output), generic session and user ids, and the provider inferred from a
 * well-known server.address when nothing else named it.
 */
export const genericMapper: DialectMapper = {
  name: 'generic',
  detect: () => true,
  map(a): DialectResult {
    return {
      ...compact({
        provider: providerFromServerAddress(a['server.address']) ?? undefined,
        input: payload(a['input.value'], a['traceloop.entity.input']),
        output: payload(a['output.value'], a['traceloop.entity.output']),
        sessionId: firstOf(str(a['session.id']), str(a['conversation.id'])),
        userId: firstOf(str(a['user.id']), str(a['enduser.id'])),
      }),
      understoodKeys: [],
    };
  },
};
