/**
 * Schema checks with readable problems: each names the key (`devices[0].points[3].type`) and what
 * was expected. Shared by the config loader and the per-protocol checks of the connectors.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';

/** Every key reported (`allErrors`), defaults filled in, no type coercion. */
const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });
const compiled = new Map<TSchema, ValidateFunction>();

/** The compiled check of `schema` (compiled once); `T` is the type the schema describes. */
export function validator<T = unknown>(schema: TSchema): ValidateFunction<T> {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v as ValidateFunction<T>;
}

/** `/devices/0/points/3/type` → `devices[0].points[3].type` */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function describe(e: ErrorObject, prefix = ''): string {
  const at = [prefix, dotted(e.instancePath)].filter(Boolean).join('.') || '(top level)';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}.${String(p.additionalProperty)}: unknown key`.replace(/^\(top level\)\./, '');
    case 'required':
      return `${at}: missing required key "${String(p.missingProperty)}"`;
    case 'enum':
      return `${at}: must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `${at}: must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return `${at}: ${e.message ?? 'invalid'}`;
  }
}

/** Ajv reports every branch of a union of literals; fold them into one "must be one of" line. */
export function explain(errors: ErrorObject[], prefix = ''): string[] {
  const out = new Map<string, string>();
  const unions = new Map<string, unknown[]>();
  for (const e of errors) {
    if (e.keyword === 'const') {
      const key = e.instancePath;
      unions.set(key, [...(unions.get(key) ?? []), (e.params as { allowedValue: unknown }).allowedValue]);
      continue;
    }
    if (e.keyword === 'anyOf' && unions.has(e.instancePath)) continue;
    out.set(`${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`, describe(e, prefix));
  }
  for (const [path, allowed] of unions) {
    const at = [prefix, dotted(path)].filter(Boolean).join('.');
    out.set(`${path}|union`, `${at}: must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  // Drop anyOf summaries that only repeat their branches.
  return [...out.values()].filter((line) => !line.endsWith('must match a schema in anyOf'));
}

