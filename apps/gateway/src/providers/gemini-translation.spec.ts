import { ProviderHttpError } from './chat-provider';
import { GeminiStreamTranslator, fromGeminiResponse, geminiError, geminiUsage, toGeminiRequest } from './gemini-translation';

describe('toGeminiRequest', () => {
  it('maps n, penalties and top_k, and wraps a tool result that is not a JSON object under output', () => {
    const body = toGeminiRequest({
      model: 'gemini-x',
      n: 2,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      top_k: 40,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: 'Calling.', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] },
        { role: 'tool', tool_call_id: 'a', content: '[1,2]' },
      ],
    });
    expect(body.generationConfig).toEqual({ candidateCount: 2, presencePenalty: 0.5, frequencyPenalty: 0.25, topK: 40 });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'go' }] },
      { role: 'model', parts: [{ text: 'Calling.' }, { functionCall: { name: 'f', args: { x: 1 } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: [1, 2] } } }] },
    ]);
  });

  it('refuses an image that is neither a data: URL nor a file URI', () => {
    expect(() => toGeminiRequest({ model: 'g', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] })).toThrow(ProviderHttpError);
  });
});

describe('fromGeminiResponse', () => {
  it('gives one choice per candidate, leaves thought parts out, maps SAFETY to content_filter', () => {
    const res = fromGeminiResponse(
      {
        candidates: [
          { index: 0, content: { role: 'model', parts: [{ text: 'thinking...', thought: true }, { text: 'A' }] }, finishReason: 'STOP' },
          { index: 1, content: { role: 'model', parts: [] }, finishReason: 'SAFETY' },
        ],
      },
      'models/gemini-x',
    );
    expect(res.model).toBe('gemini-x');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'A' }, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: '' }, finish_reason: 'content_filter' },
    ]);
    expect(res.usage).toBeUndefined();
  });

  it('answers a blocked prompt (no candidates) with content_filter', () => {
    const res = fromGeminiResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }, 'g');
    expect(res.choices).toEqual([{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'content_filter' }]);
  });

  it('counts tool-use prompt tokens as input and thoughts as output', () => {
    expect(geminiUsage({ promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 20 })).toEqual({
      prompt_tokens: 15,
      completion_tokens: 5,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
  });
});

describe('geminiError', () => {
  it('reads an error wrapped in an array (non-SSE streams) and keeps a Retry-After header over RetryInfo', () => {
    const err = geminiError(429, JSON.stringify([{ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED', details: [{ retryDelay: '30s' }] } }]), '5');
    expect(err.retryAfter).toBe('5');
    expect(err.body.error).toEqual({ message: 'quota', type: 'rate_limit_error', code: 'RESOURCE_EXHAUSTED', param: null });
    expect(geminiError(404, 'Not Found').body.error).toMatchObject({ message: 'Not Found', type: 'not_found_error' });
  });
});

describe('GeminiStreamTranslator', () => {
  it('keeps each candidate on its own choice index and numbers tool calls per candidate', () => {
    const t = new GeminiStreamTranslator('g', 1_780_000_000_000);
    const chunks = [
      ...t.push({ responseId: 'r1', candidates: [{ index: 0, content: { parts: [{ text: 'A' }] } }, { index: 1, content: { parts: [{ functionCall: { name: 'f', args: {} } }] } }] }),
      ...t.push({ responseId: 'r1', candidates: [{ index: 0, content: { parts: [{ text: 'B' }] }, finishReason: 'STOP' }, { index: 1, content: { parts: [{ functionCall: { name: 'g', args: { y: 2 } } }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2 } }),
      ...t.finish(),
    ];
    const of = (i: number) => chunks.flatMap((c) => c.choices.filter((ch) => ch.index === i));
    expect(of(0).map((c) => c.delta.content ?? c.finish_reason)).toEqual(['A', 'B', 'stop']);
    expect(of(1).flatMap((c) => c.delta.tool_calls ?? []).map((tc) => [tc.index, tc.function?.name, tc.function?.arguments])).toEqual([
      [0, 'f', '{}'],
      [1, 'g', '{"y":2}'],
    ]);
    expect(of(1).at(-1)!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ id: 'r1', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
  });

  it('is done only once a finishReason or a blocked prompt has been seen', () => {
    const t = new GeminiStreamTranslator('g');
    t.push({ candidates: [{ content: { parts: [{ text: 'A' }] } }] });
    expect(t.done).toBe(false);
    t.push({ candidates: [{ content: { parts: [{ text: 'B' }] }, finishReason: 'MAX_TOKENS' }] });
    expect(t.done).toBe(true);
    const blocked = new GeminiStreamTranslator('g');
    expect(blocked.push({ promptFeedback: { blockReason: 'OTHER' } }).map((c) => c.choices[0]!.finish_reason)).toEqual(['content_filter']);
    expect(blocked.done).toBe(true);
  });

  it('throws an error object found in the stream with its code as status', () => {
    const t = new GeminiStreamTranslator('g');
    expect(() => t.push({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } })).toThrow(expect.objectContaining({ status: 503, message: 'overloaded' }));
  });
});
