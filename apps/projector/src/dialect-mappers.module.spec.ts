import { Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { DIALECT_MAPPERS, DialectMappersModule, dialectMapperRefsFromEnv, registeredDialectMappers } from './dialect-mappers.module';

/** The collector ProjectorModule provides, without the rest of ProjectorModule (stores, gateway). */
@Module({ imports: [DiscoveryModule], providers: [{ provide: DIALECT_MAPPERS, useFactory: registeredDialectMappers, inject: [DiscoveryService] }], exports: [DIALECT_MAPPERS] })
class CollectorModule {}

describe('DialectMappersModule', () => {
  it('registrations add up, in import order, each mapper once, wherever the modules sit', async () => {
    @Module({ imports: [DialectMappersModule.register([{ module: '/team/b.js', export: 'b' }])] })
    class NestedTeamModule {}
    const app = await Test.createTestingModule({
      imports: [
        CollectorModule,
        DialectMappersModule.register([{ module: '/team/a.js', export: 'a' }]),
        NestedTeamModule,
        DialectMappersModule.fromEnv({ TEMPS_DIALECTS: '/team/c.js#c, /team/a.js#a' }),
      ],
    }).compile();
    expect(app.get(DIALECT_MAPPERS)).toEqual([
      { module: '/team/a.js', export: 'a' },
      { module: '/team/b.js', export: 'b' },
      { module: '/team/c.js', export: 'c' },
    ]);
    await app.close();
  });

  it('nothing registered: no team mappers', async () => {
    const app = await Test.createTestingModule({ imports: [CollectorModule, DialectMappersModule.fromEnv({})] }).compile();
    expect(app.get(DIALECT_MAPPERS)).toEqual([]);
    await app.close();
  });

  it('wants absolute paths and an export name', () => {
    expect(() => DialectMappersModule.register([{ module: './acme-dialect', export: 'acmeDialect' }])).toThrow(/module must be an absolute path \(e\.g\. require\.resolve/);
    expect(() => DialectMappersModule.register([{ module: '/a.js', export: '' }])).toThrow(/export must name/);
  });
});

describe('dialectMapperRefsFromEnv (TEMPS_DIALECTS)', () => {
  it('reads /abs/path#export entries, comma-separated', () => {
    expect(dialectMapperRefsFromEnv({ TEMPS_DIALECTS: ' /opt/acme/acme-dialect.js#acmeDialect ,/opt/x.mjs#x,' })).toEqual([
      { module: '/opt/acme/acme-dialect.js', export: 'acmeDialect' },
      { module: '/opt/x.mjs', export: 'x' },
    ]);
    expect(dialectMapperRefsFromEnv({ TEMPS_DIALECTS: '' })).toEqual([]);
  });

  it.each(['/opt/acme.js', 'acme.js#acmeDialect', '/opt/acme.js#', '#acmeDialect'])('refuses %j', (value) => {
    expect(() => dialectMapperRefsFromEnv({ TEMPS_DIALECTS: value })).toThrow(/must be \/absolute\/path\/to\/module\.js#exportName/);
  });
});
