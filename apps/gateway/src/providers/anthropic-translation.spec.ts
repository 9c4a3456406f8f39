import { ProviderHttpError, type ChatCompletionChunk } from './chat-provider';
import { ANTHROPIC_JSON_TOOL, AnthropicStreamTranslator, anthropicError, anthropicUsage, fromAnthropicResponse, toAnthropicRequest } from './anthropic-translation';

const user = (content: string) => ({ role: 'user' as const, content });

describe('toAnthropicRequest', () => {
  it('sends assistant tool calls as tool_use with parsed input, and skips empty assistant text', () => {
    const { body } = toAnthropicRequest({
      model: 'claude-x',
      messages: [
        user('go'),
        { role: 'assistant', content: '', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '' } }] },
        { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'ok' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } }] },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'go' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } }] }],
      },
    ]);
  });

  it('maps tool ids Anthropic would refuse (another provider\'s) the same way on tool_use and tool_result', () => {
    const id = 'call_abc__thought__c2ln+/=';
    const { body } = toAnthropicRequest({
      model: 'c',
      messages: [user('x'), { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: id, content: 'ok' }],
    });
    const [, assistant, result] = body.messages as { content: { id?: string; tool_use_id?: string }[] }[];
    expect(assistant!.content[0]!.id).toBe('call_abc__thought__c2ln___');
    expect(result!.content[0]!.tool_use_id).toBe(assistant!.content[0]!.id);
  });

  it('refuses tool call arguments that are not a JSON object, naming where', () => {
    const call = () =>
      toAnthropicRequest({ model: 'c', messages: [user('x'), { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] });
    expect(call).toThrow(ProviderHttpError);
    expect(call).toThrow('messages[1].tool_calls[0]: function.arguments must be a JSON object');
  });

  it('adds the JSON tool next to user tools with tool_choice any, keeps a named choice, and adds none when tools are off', () => {
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
    const withTools = toAnthropicRequest({ model: 'c', messages: [user('x')], tools, response_format: { type: 'json_object' } });
    expect(withTools.jsonTool).toBe(ANTHROPIC_JSON_TOOL);
    expect((withTools.body.tools as { name: string }[]).map((t) => t.name)).toEqual(['f', ANTHROPIC_JSON_TOOL]);
    expect(withTools.body.tool_choice).toEqual({ type: 'any' });
    const named = toAnthropicRequest({ model: 'c', messages: [user('x')], tools, tool_choice: { type: 'function', function: { name: 'f' } }, response_format: { type: 'json_object' } });
    expect(named.body.tool_choice).toEqual({ type: 'tool', name: 'f' });
    const off = toAnthropicRequest({ model: 'c', messages: [user('x')], tool_choice: 'none', response_format: { type: 'json_object' } });
    expect(off.jsonTool).toBeUndefined();
    expect(off.body.tools).toBeUndefined();
    expect(off.body.tool_choice).toBeUndefined(); // no tools, no tool_choice: Anthropic wants tools with one
    expect(toAnthropicRequest({ model: 'c', messages: [user('x')], response_format: { type: 'text' } }).body.tools).toBeUndefined();
  });
});

describe('fromAnthropicResponse', () => {
  it('leaves thinking blocks out, gives content null beside tool calls, maps refusal to content_filter', () => {
    const res = fromAnthropicResponse({
      id: 'msg_1',
      model: 'claude-x',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 's' },
        { type: 'tool_use', id: 't', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 5, output_tokens: 3 },
    });
    expect(res.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, finish_reason: 'tool_calls' });
    expect(res.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, prompt_tokens_details: { cached_tokens: 0, cache_creation_tokens: 0 } });
    expect(fromAnthropicResponse({ id: 'm', model: 'c', content: [], stop_reason: 'refusal' }).choices[0]!.finish_reason).toBe('content_filter');
  });

  it('counts cache reads and writes in prompt_tokens', () => {
    expect(anthropicUsage({ input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 7 })).toEqual({
      prompt_tokens: 130,
      completion_tokens: 7,
      total_tokens: 137,
      prompt_tokens_details: { cached_tokens: 100, cache_creation_tokens: 20 },
    });
  });
});

describe('anthropicError', () => {
  it('keeps a body that is not JSON as the message', () => {
    const err = anthropicError(502, '<html>Bad gateway</html>');
    expect(err.status).toBe(502);
    expect(err.body.error).toEqual({ message: '<html>Bad gateway</html>', type: 'api_error', code: null, param: null });
  });
});

describe('AnthropicStreamTranslator', () => {
  const run = (events: object[], jsonTool?: string) => {
    const t = new AnthropicStreamTranslator('claude-req', jsonTool, 1_780_000_000_000);
    return events.flatMap((e) => t.push(e));
  };
  const start = { type: 'message_start', message: { id: 'msg_s', model: 'claude-x-1', usage: { input_tokens: 3, output_tokens: 1 } } };

  it('gives "{}" to a tool call that streamed no argument fragment, skips thinking deltas, ignores unknown events', () => {
    const chunks = run([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'secret' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't', name: 'now', input: {} } },
      { type: 'content_block_stop', index: 1 },
      { type: 'some_future_event' },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ]);
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
    expect(deltas.some((d) => d.content === 'secret')).toBe(false);
    expect(deltas.flatMap((d) => d.tool_calls ?? [])).toEqual([
      { index: 0, id: 't', type: 'function', function: { name: 'now', arguments: '' } },
      { index: 0, function: { arguments: '{}' } },
    ]);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toEqual({ id: 'msg_s', object: 'chat.completion.chunk', created: 1_780_000_000, model: 'claude-x-1', choices: [], usage: anthropicUsage({ input_tokens: 3, output_tokens: 9 }) });
  });

  it('takes input and cache counts from message_delta usage when the API sends them there', () => {
    const chunks: ChatCompletionChunk[] = run([
      start,
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4, input_tokens: 3, cache_read_input_tokens: 50 } },
      { type: 'message_stop' },
    ]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 53, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 50 } });
  });

  it('turns an error event into a ProviderHttpError with the status of its type', () => {
    expect(() => run([start, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }])).toThrow(expect.objectContaining({ status: 429, message: 'slow down' }));
    expect(() => run([start, { type: 'error', error: { type: 'who_knows', message: 'x' } }])).toThrow(expect.objectContaining({ status: 500 }));
  });
});
