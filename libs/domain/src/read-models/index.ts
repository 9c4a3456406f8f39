export * from './latency-histogram';
export * from './read-model-counters';
export * from './model-usage';
export * from './mapping-coverage';
export * from './session-summary';
export * from './trace-read-model-delta';
export * from './read-model-extension';
export * from './genai-metrics';
