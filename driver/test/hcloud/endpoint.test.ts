// The endpoint rule on its own: https anywhere, plain http to loopback only, no credentials in the URL.
import { describe, expect, it } from 'vitest';
import { checkEndpoint, EndpointError, HcloudClient, isLoopbackHost } from '../../src/hcloud';

describe('checkEndpoint', () => {
  it.each([
    ['https://api.hetzner.cloud/v1/', 'https://api.hetzner.cloud/v1'],
    ['https://proxy.example.com:8443/hcloud/v1', 'https://proxy.example.com:8443/hcloud/v1'],
    ['http://127.0.0.1:4000/v1', 'http://127.0.0.1:4000/v1'],
    ['http://127.9.8.7/v1', 'http://127.9.8.7/v1'],
    ['http://[::1]:4000/v1', 'http://[::1]:4000/v1'],
    ['http://localhost:4000/v1', 'http://localhost:4000/v1'],
    ['http://LOCALHOST/v1', 'http://LOCALHOST/v1'],
  ])('accepts %s', (raw, want) => {
    expect(checkEndpoint(raw)).toBe(want);
  });

  it.each([
    ['http://api.hetzner.cloud/v1', /plain http to api\.hetzner\.cloud/],
    ['http://10.0.0.1/v1', /plain http/],
    ['http://128.0.0.1/v1', /plain http/],
    ['http://127.0.0.1.nip.io/v1', /plain http/],
    ['http://[::2]/v1', /plain http/],
    ['ftp://example/v1', /must be an https URL/],
    ['not a url', /not a valid URL/],
    ['https://user:secret@example.com/v1', /must not carry a user name or password/],
  ])('refuses %s', (raw, pattern) => {
    expect(() => checkEndpoint(raw)).toThrow(EndpointError);
    expect(() => checkEndpoint(raw)).toThrow(pattern);
  });

  it('never echoes a password from the URL', () => {
    expect(() => checkEndpoint('https://user:secret@example.com/v1')).toThrow(/^(?!.*secret)/s);
  });

  it('is the client constructor rule, so nothing is sent to a refused endpoint', () => {
    expect(() => new HcloudClient({ token: 't', endpoint: 'http://192.0.2.1/v1' })).toThrow(/plain http/);
  });

  it('knows loopback addresses in their other spellings', () => {
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::ffff:7f00:1]')).toBe(true);
    expect(isLoopbackHost('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackHost('::ffff:10.0.0.1')).toBe(false);
    expect(isLoopbackHost('example.com')).toBe(false);
  });
});
