// @opentelemetry/api is an optional peer: nothing of ours loads it at run time. The main entry knows nothing
// of OpenTelemetry, and axios-rate-guard/otel imports only its types (the caller hands in a Meter).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const src = join(__dirname, '../../src');

it('neither the main entry nor axios-rate-guard/otel requires @opentelemetry/api', () => {
  const trap = jest.fn(() => {
    throw new Error('@opentelemetry/api was loaded');
  });
  jest.isolateModules(() => {
    jest.doMock('@opentelemetry/api', trap);
    jest.doMock('@opentelemetry/sdk-metrics', trap);
    const main = require('../../src/index') as typeof import('../../src/index');
    const otel = require('../../src/otel') as typeof import('../../src/otel');
    expect(typeof main.rateGuard).toBe('function');
    expect(typeof otel.rateGuardTelemetry).toBe('function');
  });
  expect(trap).not.toHaveBeenCalled();
});

it('imports of @opentelemetry in src/ are type-only, and only in the otel files', () => {
  for (const file of readdirSync(src, { recursive: true }) as string[]) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(src, file), 'utf8');
    const imports = [...text.matchAll(/^\s*(import|export)\b[^;]*?from\s+'(@opentelemetry\/[^']+)'/gms)].map((m) => m[0]);
    if (!file.startsWith('otel')) expect({ file, imports }).toEqual({ file, imports: [] });
    for (const statement of imports) expect(statement).toMatch(/^\s*import type\b/);
    expect(text).not.toMatch(/require\(\s*'@opentelemetry/);
    expect(text).not.toMatch(/import\(\s*'@opentelemetry/);
  }
});
