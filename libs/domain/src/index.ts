export * from './any-value';
export * from './events';
export * from './messages';
export * from './span-document';
export * from './normalize-span';
export * from './trace-summary';
export * from './trace-projection';
export * from './access-state';
