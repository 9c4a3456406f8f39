import { Module } from '@nestjs/common';
import { DialectMappersModule } from '@temps/projector';

/**
 * The one registration: import this module into the app (next to ServeModule, or ProjectorModule) and
 * the projector runs acmeDialect before the built-in mappers. A path + export name rather than the
 * object, because the projector thread loads the mapper itself.
 */
@Module({
  imports: [DialectMappersModule.register([{ module: require.resolve('./acme-dialect'), export: 'acmeDialect' }])],
})
export class AcmeDialectModule {}
