import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { parseQueryDto, queryFieldsOf } from './query-field';

/**
 * `@Query(QueryDtoPipe) query: SomeQuery`: validates the raw query against the DTO class's declared fields
 * (QueryField) and hands the handler an instance; a bad parameter answers 400 with the field's message.
 */
@Injectable()
export class QueryDtoPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const dto = metadata.metatype as (new () => object) | undefined;
    if (metadata.type !== 'query' || !dto || queryFieldsOf(dto).length === 0) return value;
    return parseQueryDto(dto, (value ?? {}) as Record<string, unknown>);
  }
}
