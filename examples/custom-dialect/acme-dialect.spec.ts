import { normalizeSpan, type IngestMetadata, type SpanReceivedData } from '@temps/domain';
import { acmeDialect } from './acme-dialect';

/** The mapper alone, through the real normalizer, as the projector runs it (team mappers first). */
const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };

function acmeSpan(attrs: Record<string, string | number>): SpanReceivedData {
  return {
    span: {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b000000000000001',
      name: 'acme.llm.call',
      kind: 3,
      startTimeUnixNano: '1780000000000000000',
      endTimeUnixNano: '1780000000500000000',
      attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } })),
      events: [],
      links: [],
      status: { code: 0 },
    },
    resource: { attributes: [] },
    scope: { name: 'acme-llm', attributes: [] },
  };
}
const normalize = (attrs: Record<string, string | number>) => normalizeSpan(acmeSpan(attrs), meta, 1n, { extraMappers: [acmeDialect] });

describe('acmeDialect', () => {
  it('reads an acme-llm call, ahead of the built-in reading of gen_ai.system', () => {
    const doc = normalize({
      'gen_ai.system': 'acme-gateway',
      'acme.llm.vendor': 'Anthropic',
      'acme.llm.model': 'claude-sonnet-4',
      'acme.llm.tokens.prompt': 30,
      'acme.llm.tokens.completion': '4',
      'acme.llm.prompt': '[{"role":"system","text":"Be brief."},{"role":"user","text":"Hi"},{"role":"assistant","text":"Hello"},{"role":"user","text":"Bye"}]',
      'acme.llm.completion': 'Bye!',
    });
    expect(doc).toMatchObject({
      kind: 'generation',
      operation: 'chat',
      provider: 'anthropic',
      requestModel: 'claude-sonnet-4',
      inputTokens: 30,
      outputTokens: 4,
      systemInstructions: [{ type: 'text', content: 'Be brief.' }],
      inputMessages: [
        { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
        { role: 'assistant', parts: [{ type: 'text', content: 'Hello' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Bye' }] },
      ],
      outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'Bye!' }] }],
      mapping: { dialects: ['acme-llm', 'otel-genai'], unmappedKeys: [] },
    });
    // without the team mapper the gateway would be taken for the provider
    expect(normalizeSpan(acmeSpan({ 'gen_ai.system': 'acme-gateway', 'acme.llm.model': 'm' }), meta, 1n).provider).toBe('acme-gateway');
  });

  it('takes a prompt that is not JSON as one user turn, and reports acme.llm.* keys it does not know', () => {
    const doc = normalize({ 'acme.llm.model': 'm', 'acme.llm.prompt': 'plain text', 'acme.llm.temperature_hint': 'low' });
    expect(doc.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'plain text' }] }]);
    expect(doc.mapping).toEqual({ dialects: ['acme-llm'], unmappedKeys: ['acme.llm.temperature_hint'] });
  });

  it('leaves spans of other instrumentations alone', () => {
    expect(normalize({ 'gen_ai.request.model': 'gpt-4o' }).mapping!.dialects).toEqual(['otel-genai']);
  });
});
