import { anyValueToJs, keyValuesToRecord, type AnyValue, type KeyValue } from './any-value';
import { attributesToRecord, bodyToJs, compactAttributes, compactValue, toOtlpAttributes, toOtlpValue } from './attribute-map';

const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
/** Through JSON, as an event store keeps it. */
const stored = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('attribute maps (events of schema version 2)', () => {
  const list: KeyValue[] = [
    kv('gen_ai.operation.name', { stringValue: 'chat' }),
    kv('gen_ai.usage.input_tokens', { intValue: '738' }),
    kv('big', { intValue: '9007199254740993' }),
    kv('padded', { intValue: '007' }),
    kv('negative', { intValue: '-12' }),
    kv('gen_ai.request.temperature', { doubleValue: 0.2 }),
    kv('whole double', { doubleValue: 2 }),
    kv('not a number', { doubleValue: 'NaN' }),
    kv('overflow', { doubleValue: 'Infinity' }),
    kv('underflow', { doubleValue: '-Infinity' }),
    kv('non-finite list', { arrayValue: { values: [{ doubleValue: 'NaN' }, { doubleValue: 0.5 }, { doubleValue: '-Infinity' }] } }),
    kv('streaming', { boolValue: false }),
    kv('blob', { bytesValue: 'AAEC' }),
    kv('empty', {}),
    kv('gen_ai.response.finish_reasons', { arrayValue: { values: [{ stringValue: 'stop' }, { intValue: '1' }, { doubleValue: 1 }] } }),
    kv('nested', { kvlistValue: { values: [kv('role', { stringValue: 'user' }), kv('n', { intValue: '3' })] } }),
    kv('nested list', { kvlistValue: { values: [kv('a', { stringValue: 'x' }), kv('a', { stringValue: 'y' })] } }),
  ];

  it('hold each value in plain JSON where JSON cannot blur it, tagged where it can', () => {
    expect(compactAttributes(list)).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 738,
      big: { int: '9007199254740993' },
      padded: { int: '007' },
      negative: -12,
      'gen_ai.request.temperature': 0.2,
      'whole double': { double: 2 },
      'not a number': { double: 'NaN' },
      overflow: { double: 'Infinity' },
      underflow: { double: '-Infinity' },
      'non-finite list': [{ double: 'NaN' }, 0.5, { double: '-Infinity' }],
      streaming: false,
      blob: { bytes: 'AAEC' },
      empty: null,
      'gen_ai.response.finish_reasons': ['stop', 1, { double: 1 }],
      nested: { kvlist: { role: 'user', n: 3 } },
      'nested list': { kvlist: [kv('a', { stringValue: 'x' }), kv('a', { stringValue: 'y' })] },
    });
  });

  it('give back the OTLP list exactly, in order, after a trip through JSON', () => {
    expect(toOtlpAttributes(stored(compactAttributes(list)))).toStrictEqual(list);
  });

  it('read as the same plain record as the OTLP list', () => {
    expect(attributesToRecord(stored(compactAttributes(list)))).toStrictEqual(keyValuesToRecord(list));
    for (const { value } of list) expect(bodyToJs(stored(compactValue(value)))).toStrictEqual(anyValueToJs(value));
  });

  it('keep NaN and the infinities through JSON (a bare number would come back null), whether they arrive as numbers or OTLP/JSON strings', () => {
    for (const [n, text] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
      expect(stored(compactValue({ doubleValue: n }))).toEqual({ double: text });
      expect(toOtlpValue(stored(compactValue({ doubleValue: text }))!)).toStrictEqual({ doubleValue: text });
      // Mappers and the API's plain view read the number itself.
      expect(bodyToJs(stored(compactValue({ doubleValue: text })))).toBe(n);
      expect(anyValueToJs({ doubleValue: text })).toBe(n);
      expect(attributesToRecord(stored(compactAttributes([kv('x', { doubleValue: text })])))).toEqual({ x: n });
    }
  });

  it('stay lists where a JSON object would lose something: a duplicate key, an array-index key, __proto__, a kind of value not known here', () => {
    const future = [kv('a', { stringValue: 'x' }), kv('b', { arrayValue: { values: [{ futureValue: 1 } as unknown as AnyValue] } })];
    expect(compactAttributes(future)).toEqual(future);
    expect(compactValue({ futureValue: 1 } as unknown as AnyValue)).toBeUndefined();
    for (const keys of [['a', 'a'], ['b', '0'], ['__proto__'], ['x', '4294967294']]) {
      const attrs = keys.map((k, i) => kv(k, { intValue: String(i) }));
      expect(compactAttributes(attrs)).toEqual(attrs);
    }
    // Index-like but not an array index: a map keeps these in order.
    const fine = [kv('b', { stringValue: 'x' }), kv('01', { stringValue: 'y' }), kv('4294967295', { stringValue: 'z' }), kv('-1', { stringValue: 'w' })];
    expect(Object.keys(stored(compactAttributes(fine)))).toEqual(['b', '01', '4294967295', '-1']);
  });

  it('leave data already compact as it is, and take a list of version 1 as it is', () => {
    const map = compactAttributes(list);
    expect(compactAttributes(map)).toBe(map);
    expect(compactValue('text')).toBe('text');
    expect(toOtlpAttributes(list)).toBe(list);
    expect(toOtlpValue(null)).toEqual({});
  });
});
