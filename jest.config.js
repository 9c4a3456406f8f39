// Jest runs TypeScript through swc (fast, no type-check: `npm run typecheck` does that).
const swc = {
  swcrc: false,
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};
const subpaths = ['event-store/sqlite', 'event-store/esdb', 'event-store/nest', 'read-store/sqlite', 'read-store/mongo', 'read-store/nest'];
const libs = ['domain', 'otlp', 'event-store', 'read-store', 'projection-runtime', 'realtime', 'access'];
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{apps,libs,test,examples}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/apps/web/'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  // NestJS 12 ships ESM only: let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|uid|file-type|strtok3|token-types|peek-readable|@tokenizer)/)'],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((l) => [`^@temps/${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
    // each adapter's own entry point, and the Nest module that opens one (the port's index loads no driver)
    ...Object.fromEntries(subpaths.map((a) => [`^@temps/${a}$`, `<rootDir>/libs/${a.replace('/', '/src/')}/index.ts`])),
    '^@temps/ingest$': '<rootDir>/apps/ingest/src/index.ts',
    '^@temps/projector$': '<rootDir>/apps/projector/src/index.ts',
    '^@temps/gateway$': '<rootDir>/apps/gateway/src/index.ts',
  },
  testTimeout: 60000,
};
