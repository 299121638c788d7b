import { describe, expect, it } from 'vitest';
import { countFields, quoteField, tagValue } from './lineproto.js';

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

  it('tag values escape separators and newlines', () => {
    expect(tagValue('a b,c=d\ne')).toBe('a\\ b\\,c\\=d\\ e');
    expect(tagValue('end\\')).toBe('end\\\\');
  });
});
