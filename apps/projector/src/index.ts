export * from './projector.module';
export * from './trace-projector.service';
export * from './trace-projection.handler';
export * from './projector-options';
