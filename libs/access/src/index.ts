export * from './api-key-secret';
export * from './access-service';
export * from './project-access.guard';
export * from './projects.controller';
export * from './access.module';
