import { Module } from '@nestjs/common';
import { AccessModule } from '@temps/access';
import { ReadModelExtensionsModule } from '@temps/projector';
import { UserUsageController } from './user-usage.controller';

/**
 * The one registration (a path + export name, because the projector thread loads the fold itself)
 * and the team's own endpoint over the rows the runtime keeps for it.
 */
@Module({
  // AccessModule: the project guard of its endpoint (TRACE_READ_STORE comes from ReadStoreModule.forRoot, global)
  imports: [AccessModule, ReadModelExtensionsModule.register([{ module: require.resolve('./user-usage'), export: 'userUsage' }])],
  controllers: [UserUsageController],
})
export class UserUsageModule {}
