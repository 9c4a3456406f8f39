import { emptyAiProviderState, evolveAiProviders } from './ai-provider-state';

describe('AI Gateway settings folded from the ai-providers stream', () => {
  const set = (projectId: string, provider: string, apiKeyEncrypted: string) => ({ type: 'AiProviderCredentialSet', data: { projectId, provider, apiKeyEncrypted, setAt: 't' } });

  it('keeps the last key set per project and provider, forgets a removed one, and holds content capture per project', () => {
    const events = [
      set('1', 'openai', 'v1:a'),
      set('2', 'openai', 'v1:b'),
      set('1', 'openai', 'v1:c'),
      set('1', 'xai', 'v1:d'),
      { type: 'AiProviderCredentialRemoved', data: { projectId: '1', provider: 'xai', removedAt: 't' } },
      { type: 'AiContentCaptureSet', data: { projectId: '2', enabled: true, setAt: 't' } },
      { type: 'SomethingElse', data: {} },
    ];
    const state = events.reduce(evolveAiProviders, emptyAiProviderState());
    expect([...state.credentials.get('1')!.keys()]).toEqual(['openai']);
    expect(state.credentials.get('1')!.get('openai')!.apiKeyEncrypted).toBe('v1:c');
    expect(state.credentials.get('2')!.get('openai')!.apiKeyEncrypted).toBe('v1:b');
    expect(state.contentCapture.get('2')).toBe(true);
    expect(state.contentCapture.has('1')).toBe(false);
  });
});
