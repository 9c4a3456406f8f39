export * from './projection-runner';
export * from './projection-thread';
export * from './projection-thread-host';
export * from './blue-green-projection';
export * from './leased-projection';
