import { afterEach, describe, expect, it } from 'vitest';
import { compileCacheDirectory, workerEnvironment } from './compile-cache.ts';

describe('compile cache location', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['XDG_CACHE_HOME', 'NODE_DISABLE_COMPILE_CACHE', 'HOME']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('lives in the per-user cache folder, never the shared temporary folder', () => {
    process.env['XDG_CACHE_HOME'] = '/home/someone/.cache-x';
    delete process.env['NODE_DISABLE_COMPILE_CACHE'];
    expect(compileCacheDirectory()).toBe('/home/someone/.cache-x/coffer/compile-cache');
    delete process.env['XDG_CACHE_HOME'];
    process.env['HOME'] = '/home/other';
    expect(compileCacheDirectory()).toBe('/home/other/.cache/coffer/compile-cache');
  });

  it('passes the folder to worker threads, and is off with NODE_DISABLE_COMPILE_CACHE', () => {
    process.env['XDG_CACHE_HOME'] = '/var/cache/u';
    delete process.env['NODE_DISABLE_COMPILE_CACHE'];
    expect(workerEnvironment()['NODE_COMPILE_CACHE']).toBe('/var/cache/u/coffer/compile-cache');
    process.env['NODE_DISABLE_COMPILE_CACHE'] = '1';
    expect(compileCacheDirectory()).toBeUndefined();
    expect(workerEnvironment()['NODE_COMPILE_CACHE']).toBe(process.env['NODE_COMPILE_CACHE']);
  });
});
