// `@temps/event-store/nest`: the Nest module that opens the configured adapter, and the opener it uses
// (also for code outside Nest: a projector thread, the CLI).
export * from './event-store.module';
export * from './open-event-store';
