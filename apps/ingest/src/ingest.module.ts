import { Module } from '@nestjs/common';
import { IngestTracesService } from './ingest-traces.service';
import { OtlpTracesController } from './otlp-traces.controller';

/** The OTLP/HTTP receiver. Needs EVENT_STORE, AccessService and INGEST_LIMITS from the host module. */
@Module({
  controllers: [OtlpTracesController],
  providers: [IngestTracesService],
})
export class IngestModule {}
