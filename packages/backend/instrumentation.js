/*
 * OpenTelemetry metrics for the backend, served in the Prometheus text format
 * (docs/operations.md, "Metrics"). Loaded before the backend with `--require`
 * (Backstage's "Setting up OpenTelemetry" tutorial): `scripts/start.sh`, the
 * `start:recorder` script and the container image's CMD do it. Plain JavaScript outside
 * `src/`: it runs before any transpiler and is copied into the image as it is. The
 * plugins' instruments (Backstage's metrics service, @opentelemetry/api) report to the
 * meter provider registered here; meters asked for before it is registered would stay
 * no-ops, hence `--require`.
 *
 * Environment (read here, before the backend's configuration is loaded):
 *   MVR_METRICS        `off` registers nothing (every instrument is a no-op)
 *   MVR_METRICS_HOST   address the endpoint listens on (default 127.0.0.1; 0.0.0.0 in a
 *                      container that Prometheus scrapes from outside)
 *   MVR_METRICS_PORT   its port (default 9464, the exporter's registered default)
 * The endpoint is GET http://<host>:<port>/metrics. Only metrics are set up: no
 * auto-instrumentation and no tracing (nothing is added to the request or RTP path).
 */

// Worker threads (the Opus encoders) load no backend: register once, in the main thread.
const { isMainThread } = require('node:worker_threads');

/** Starts the exporter; returns it (undefined when MVR_METRICS is off). */
function startMetrics(env = process.env) {
  if (String(env.MVR_METRICS ?? '').toLowerCase() === 'off') return undefined;
  const { metrics } = require('@opentelemetry/api');
  const { MeterProvider } = require('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
  const host = env.MVR_METRICS_HOST || '127.0.0.1';
  const port = Number(env.MVR_METRICS_PORT || 9464);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `MVR_METRICS_PORT: ${JSON.stringify(
        env.MVR_METRICS_PORT,
      )} is not a TCP port number`,
    );
  }
  const exporter = new PrometheusExporter({ host, port }, error => {
    // the backend runs on without the endpoint (e.g. a second backend on the same host)
    if (error) {
      process.stderr.write(
        `[metrics] cannot serve the Prometheus endpoint on ${host}:${port}: ${error.message}\n`,
      );
    } else {
      process.stderr.write(
        `[metrics] Prometheus endpoint on http://${host}:${port}/metrics\n`,
      );
    }
  });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return exporter;
}

if (isMainThread) startMetrics();
