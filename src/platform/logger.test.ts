import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('writes JSON lines and never the secrets it is handed', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ level: 'info', destination });
    log.info(
      {
        password: 'hunter2',
        body: { token: 'tok-123', newPassword: 'n3w' },
        req: { headers: { authorization: 'Bearer key-456', cookie: 'coffer_session=s3ss' } },
      },
      'signing in',
    );
    log.debug('not at info level');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry.msg).toBe('signing in');
    expect(entry.service).toBe('coffer');
    const text = lines[0] ?? '';
    for (const secret of ['hunter2', 'tok-123', 'n3w', 'key-456', 's3ss']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
