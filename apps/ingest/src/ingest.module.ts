import { type DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from '@temps/access';
import { INGEST_LIMITS } from './ingest.tokens';
import type { IngestLimits } from './ingest-limits';
import { OtlpController } from './otlp.controller';
import { OtlpIngestService } from './otlp-ingest.service';

/**
 * The OTLP/HTTP receiver: `IngestModule.forRoot(limits)` (e.g. ingestLimitsFromEnv()). It appends to the
 * EVENT_STORE of EventStoreModule.forRoot (in the root module) and checks keys with AccessModule.
 */
@Module({})
export class IngestModule {
  static forRoot(limits: IngestLimits): DynamicModule {
    return {
      module: IngestModule,
      imports: [AccessModule],
      controllers: [OtlpController],
      providers: [OtlpIngestService, { provide: INGEST_LIMITS, useValue: limits }],
    };
  }
}
