export * from './live-events';
export * from './live.gateway';
export * from './realtime.module';
export * from './live-update-channel';
export * from './live-update-channel.module';
export * from './live-update-publisher';
export * from './live-update-tail';
export * from './live-updates';
