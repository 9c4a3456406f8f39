export * from './price-table';
