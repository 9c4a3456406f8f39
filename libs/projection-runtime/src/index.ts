export * from './projection-runner';
