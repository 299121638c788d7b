import { describe, expect, it } from 'vitest';
import { LineBatch, countFields, quoteField, splitLines, tagValue, timeSpan } from './lineproto.js';

describe('countFields', () => {
  it('counts the field values of each line, skipping events and separators inside strings and escapes', () => {
    const body = [
      'pump,building=A,device=pump-1,site=demo flow=1,running=true,vibration=0.5 1000',
      `pump,device=pump\\ 2\\,x,site=demo mode=${quoteField('a, b="c" \\ d e,f')},flow=2 1001`,
      'power,device=p,site=demo odd\\,key\\ name=1 1002',
      `events,device=pump-1,kind=alarm,site=demo id="al-1",text="x, y" 1003`,
      '',
    ].join('\n');
    expect(countFields(body, 'events,')).toBe(3 + 2 + 1);
    expect(countFields('', 'events,')).toBe(0);
  });

  it('keeps newlines inside quoted values in their line; quotes elsewhere are plain characters', () => {
    const lines = [
      `events,kind=alarm,site=demo id="al-1",text=${quoteField('line one\nline "two", x=1')} 1000`,
      'pump,device=pump"1,site=demo a"b=1,c=2 1001',
      `pump,device=p,site=demo s=${quoteField('a\\')},t=true 1002`,
    ];
    expect(splitLines(`${lines.join('\n')}\n`)).toEqual(lines);
    expect(countFields(lines.join('\n'), 'events,')).toBe(2 + 2);
    expect(countFields(lines.join('\n'), 'nothing')).toBe(2 + 2 + 2);
  });
});

describe('timeSpan', () => {
  it('spans the timestamps of the lines; a number before a newline inside a quoted value is no timestamp', () => {
    const body = [
      'pump,device=p,site=demo flow=1 5000',
      `events,kind=alarm,site=demo id="al-1",text=${quoteField('restarts 3\nthen 7')} 4000`,
      'pump,device=p,site=demo flow=2 6000',
      '',
    ].join('\n');
    expect(timeSpan(body)).toEqual({ from: 4000, to: 6000 });
    expect(timeSpan('')).toBeNull();
  });
});

describe('escaping', () => {
  it('tag values escape separators and newlines', () => {
    expect(tagValue('a b,c=d\ne')).toBe('a\\ b\\,c\\=d\\ e');
    expect(tagValue('end\\')).toBe('end\\\\');
  });
});

describe('LineBatch', () => {
  it('encodes lines as they come, growing as needed', () => {
    const b = new LineBatch(16);
    const lines = Array.from({ length: 500 }, (_, i) => `m,device=é${i} v=${i},s="ü\nx" ${i}`);
    for (const l of lines) b.add(l, 2);
    expect(b).toMatchObject({ lines: 500, fields: 1000 });
    expect(b.body().toString()).toBe(`${lines.join('\n')}\n`);
    expect(b.bytes).toBe(b.body().length);
    expect(splitLines(b.body().toString())).toEqual(lines);
  });

  it('writes timestamps as integers', () => {
    const b = new LineBatch(16);
    const stamps = [0, 7, 10, 99, 1764316800000, 1764316809999, Number.MAX_SAFE_INTEGER, -5];
    for (const ts of stamps) {
      b.open(Buffer.from('m'));
      b.field(true, Buffer.from('v'), '1');
      b.close(ts, 1);
    }
    expect(b.body().toString()).toBe(stamps.map((ts) => `m v=1 ${ts}\n`).join(''));
  });
});
