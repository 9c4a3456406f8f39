import { Controller, Get } from '@nestjs/common';
import { queryApiDocument } from './query-api';

/** `GET /api/openapi.json`: the OpenAPI 3.1 document of the query API, auth rules included. Public: it holds no data. */
@Controller('api')
export class OpenApiController {
  @Get('openapi.json')
  document(): unknown {
    return queryApiDocument();
  }
}
