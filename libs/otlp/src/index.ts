export * from './decode-trace-request';
export * from './validate-span';
export * from './encode-responses';
export * from './otlp-decode-error';
