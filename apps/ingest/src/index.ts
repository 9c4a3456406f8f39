export * from './ingest.module';
export * from './ingest.tokens';
export * from './ingest-limits';
