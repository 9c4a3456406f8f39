export * from './gateway.module';
export * from './gateway.tokens';
export * from './provider-catalog';
export * from './provider-credentials';
export * from './secret-box';
export * from './gateway-tracer';
