export * from './live-events';
export * from './live.gateway';
export * from './realtime.module';
