// The cluster firewall's check of Hetzner's 5 firewalls per server, as Create runs it: label-selector firewalls count
// by every label the server will carry, those from --hetzner-server-labels included.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { HcloudClient } from '../../src/hcloud';
import { configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN], seedData: false }, (m) => {
  mock = m;
});

describe('firewalls per server', () => {
  it('counts label-selector firewalls that match the user labels, and refuses before making a server', async () => {
    const admin = new HcloudClient({ token: TOKEN, endpoint: mock.url });
    for (let i = 0; i < 5; i++) {
      await admin.firewalls.create({
        name: `prod-${i}`,
        apply_to: [{ type: 'label_selector', label_selector: { selector: 'env=prod' } }],
      });
    }
    const d = await configuredDriver(mock, 'fc-prod', {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': 'c-count',
      'hetzner-server-labels': ['env=prod'],
    });
    await d.preCreateCheck();
    await expect(d.create()).rejects.toThrow(/would get 6 firewalls, but Hetzner allows 5 per server.*prod-0/);
    expect(resourcesOf(mock, 'fc-prod')).toEqual({ servers: [], keys: [] });
    expect(mock.requests.filter((r) => r.method === 'POST' && r.path === '/servers')).toEqual([]);

    // Labels no selector matches leave room: the same machine in another environment is created.
    const other = await configuredDriver(mock, 'fc-test', {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': 'c-count',
      'hetzner-server-labels': ['env=test'],
    });
    await other.preCreateCheck();
    await other.create();
    expect(resourcesOf(mock, 'fc-test').servers).toHaveLength(1);
    await other.remove();
    expect(resourcesOf(mock, 'fc-test')).toEqual({ servers: [], keys: [] });
  });
});
