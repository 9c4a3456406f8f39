import { Module } from '@nestjs/common';
import { OtlpController } from './otlp.controller';
import { OtlpIngestService } from './otlp-ingest.service';

/** The OTLP/HTTP receiver. Needs EVENT_STORE, AccessService and INGEST_LIMITS from the host module. */
@Module({
  controllers: [OtlpController],
  providers: [OtlpIngestService],
})
export class IngestModule {}
