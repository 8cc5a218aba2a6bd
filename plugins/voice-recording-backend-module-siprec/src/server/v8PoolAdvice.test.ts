import { v8PoolAdvice } from './v8PoolAdvice';

describe('v8PoolAdvice', () => {
  it('advises --v8-pool-size when neither the command line nor NODE_OPTIONS sets it', () => {
    expect(v8PoolAdvice(['--require', 'x.cjs'], '--max-old-space-size=4096')).toMatch(/--v8-pool-size=1/);
    expect(v8PoolAdvice([], undefined)).toMatch(/default V8 platform pool/);
  });

  it('is silent when the pool size is set on the command line or in NODE_OPTIONS', () => {
    expect(v8PoolAdvice(['--v8-pool-size=1'], '')).toBeUndefined();
    expect(v8PoolAdvice([], '--enable-source-maps --v8-pool-size=2')).toBeUndefined();
  });
});
