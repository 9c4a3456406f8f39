import { providerIdOf, routeModel } from './provider-catalog';

describe('routeModel: the provider of a model name', () => {
  it.each([
    ['claude-haiku-4-5', 'anthropic', 'claude-haiku-4-5'],
    ['gemini-2.5-flash', 'google', 'gemini-2.5-flash'],
    ['grok-4', 'xai', 'grok-4'],
    ['mistral-large-latest', 'mistral', 'mistral-large-latest'],
    ['magistral-medium-latest', 'mistral', 'magistral-medium-latest'],
    ['deepseek-chat', 'deepseek', 'deepseek-chat'],
    ['gpt-4o', 'openai', 'gpt-4o'],
    ['o1-mini', 'openai', 'o1-mini'],
    ['o3', 'openai', 'o3'],
    ['o4-mini', 'openai', 'o4-mini'],
    ['text-embedding-3-small', 'openai', 'text-embedding-3-small'],
    ['groq/llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile'],
    ['groq/meta-llama/llama-4-scout', 'groq', 'meta-llama/llama-4-scout'],
    ['azure_openai/gpt-4o', 'azure_openai', 'gpt-4o'],
    ['openai/gpt-4o', 'openai', 'gpt-4o'],
    ['gemini/gemini-2.5-pro', 'google', 'gemini-2.5-pro'],
  ])('%s -> %s', (model, provider, upstream) => {
    expect(routeModel(model)).toEqual({ ok: true, provider, model: upstream });
  });

  it('says how to name a model it cannot place', () => {
    const r = routeModel('llama-3.3-70b');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/provider\/model.*groq\/llama-3.3-70b/);
    expect(routeModel('unknown/gpt-4o').ok).toBe(false); // a slash after an unknown prefix is part of the name
  });

  it('reads provider ids as users write them', () => {
    expect(providerIdOf('Azure-OpenAI')).toBe('azure_openai');
    expect(providerIdOf('GEMINI')).toBe('google');
    expect(providerIdOf('nope')).toBeNull();
  });
});
