/**
 * A hint when Node runs V8's default platform pool (four garbage-collection helper
 * threads): on a recorder host their bursts take the CPU from the event loop, which
 * then answers INVITEs late (bench/README.md, "V8 platform pool"). Undefined when
 * `--v8-pool-size` is given.
 */
export function v8PoolAdvice(execArgv: readonly string[], nodeOptions = ''): string | undefined {
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some(a => a.startsWith('--v8-pool-size'))) return undefined;
  return 'Node runs with the default V8 platform pool (4 garbage-collection helper threads); on a recorder host start it with --v8-pool-size=1 for a steadier call set-up time (docs/operations.md)';
}
