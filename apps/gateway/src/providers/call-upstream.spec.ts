import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ProviderHttpError } from './chat-provider';
import { callUpstream, joinUrl, parseProviderJson } from './call-upstream';

describe('callUpstream', () => {
  it('gives a provider that cannot be reached as a 502 in OpenAI shape, naming the host', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const err = await callUpstream(`http://127.0.0.1:${port}/v1/messages`, { method: 'POST', headers: {}, body: '{}' }, { baseUrl: '', apiKey: '', signal: new AbortController().signal }, () => {
      throw new Error('not an HTTP error');
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err.status).toBe(502);
    expect(err.body.error.type).toBe('api_connection_error');
    expect(err.body.error.message).toContain(`127.0.0.1:${port}`);
  });
});

describe('parseProviderJson / joinUrl', () => {
  it('turns a body that is not JSON into a 502 naming the provider', () => {
    expect(() => parseProviderJson('<html>oops', 'Gemini')).toThrow(expect.objectContaining({ status: 502, message: 'Gemini sent a response that is not JSON: <html>oops' }));
  });

  it('joins base URLs with or without a trailing slash', () => {
    expect(joinUrl('http://h/', '/v1/messages')).toBe('http://h/v1/messages');
    expect(joinUrl('http://h/proxy//', '/v1beta/models')).toBe('http://h/proxy/v1beta/models');
  });
});
