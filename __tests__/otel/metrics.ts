// The OpenTelemetry SDK as a user wires it, with the SDK's in-memory exporter: a MeterProvider whose
// periodic reader is flushed by the test (the interval is far off), and lookups of what was exported.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';

export interface TestMetrics {
  provider: MeterProvider;
  /** Collects now (observable callbacks run) and returns every metric of the last export. */
  collect(): Promise<MetricData[]>;
  shutdown(): Promise<void>;
}

export function testMetrics(): TestMetrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      const exported = exporter.getMetrics();
      return exported.flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The data points of the metric `name` (none if it was not exported). */
export function points<T = number>(metrics: MetricData[], name: string): Array<DataPoint<T>> {
  return (metrics.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as Array<DataPoint<T>>;
}

export function metric(metrics: MetricData[], name: string): MetricData | undefined {
  return metrics.find((m) => m.descriptor.name === name);
}

/** The point whose attributes include `attributes`. */
export function pointWith<T = number>(metrics: MetricData[], name: string, attributes: Attributes): DataPoint<T> | undefined {
  return points<T>(metrics, name).find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
}

export type HistogramPoint = DataPoint<Histogram>;
