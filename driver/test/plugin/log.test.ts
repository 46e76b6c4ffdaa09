// Plugin-mode logging: stream routing, the per-line cap (rancher-machine's scanner dies on a 64 KiB line and
// then blocks us), line splitting and survival of a broken pipe.
import { describe, expect, it } from 'vitest';
import { capLine, createPluginLogger, MAX_LINE_BYTES, toLines, writeLines } from '../../src/log';
import { CollectingSink } from './helpers';

describe('capLine', () => {
  it('leaves short lines alone', () => {
    expect(capLine('hello')).toBe('hello');
    expect(capLine('é'.repeat(MAX_LINE_BYTES / 2))).toBe('é'.repeat(MAX_LINE_BYTES / 2));
  });

  it('cuts long lines to the byte limit with a marker saying how much there was', () => {
    const out = capLine('a'.repeat(70_000));
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(out).toMatch(/^a+ …\[truncated 70000 bytes\]$/);
  });

  it('never splits a multi-byte character', () => {
    const out = capLine('€'.repeat(20), 32);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(32);
    expect(out).not.toContain('\uFFFD');
    expect(out).toMatch(/^€* …\[truncated 60 bytes\]$/);
  });
});

describe('toLines', () => {
  it('splits on any line ending and drops only a trailing empty line', () => {
    expect(toLines('a\nb\r\nc\rd\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(toLines('a\n\nb')).toEqual(['a', '', 'b']);
    expect(toLines('')).toEqual(['']);
  });
});

describe('createPluginLogger', () => {
  it('sends info/warn to stdout and debug/error to stderr, one capped line each', () => {
    const stdout = new CollectingSink();
    const stderr = new CollectingSink();
    const log = createPluginLogger({ stdout, stderr, maxLineBytes: 100 });
    log.info('creating server\nwaiting for it');
    log.warn('slow');
    log.debug('x'.repeat(500));
    log.error('failed');
    expect(stdout.lines).toEqual(['creating server', 'waiting for it', 'warning: slow']);
    expect(stderr.lines).toHaveLength(2);
    expect(Buffer.byteLength(stderr.lines[0] ?? '')).toBeLessThanOrEqual(100);
    expect(stderr.lines[1]).toBe('error: failed');
  });

  it('survives a stream that throws (EPIPE) and one that emits errors', () => {
    let listener: ((err: Error) => void) | undefined;
    const broken = {
      write: () => {
        throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      },
      on: (_event: 'error', l: (err: Error) => void) => {
        listener = l;
      },
    };
    expect(() => writeLines(broken, 'hello')).not.toThrow();
    expect(listener).toBeDefined();
    expect(() => listener?.(new Error('write EPIPE'))).not.toThrow();
    const log = createPluginLogger({ stdout: broken, stderr: broken });
    expect(() => {
      log.info('a');
      log.error('b');
    }).not.toThrow();
  });
});
