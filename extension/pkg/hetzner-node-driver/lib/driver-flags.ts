// Generated from the driver's flag table (driver/src/driver/flags.ts) by `pnpm gen:flags`: do not edit.
// scripts/test/flag-table.test.ts fails when this copy differs from what the table generates.
// The machine-pool fields, as Rancher names them (the flag camelCased without "hetzner-"), with the type
// Rancher's generated schema gives them (int flags are strings there) and the driver's default as a string.
export const DRIVER_FIELDS = {
  serverType: {
    flag:    'hetzner-server-type',
    type:    'string',
    default: 'cx23'
  },
  serverLocation: {
    flag:    'hetzner-server-location',
    type:    'string',
    default: 'fsn1'
  },
  image: {
    flag:    'hetzner-image',
    type:    'string',
    default: 'ubuntu-24.04'
  },
  usePrivateNetwork: {
    flag: 'hetzner-use-private-network',
    type: 'boolean'
  },
  networks: {
    flag: 'hetzner-networks',
    type: 'string[]'
  },
  firewalls: {
    flag: 'hetzner-firewalls',
    type: 'string[]'
  },
  createFirewall: {
    flag: 'hetzner-create-firewall',
    type: 'boolean'
  },
  firewallName: {
    flag: 'hetzner-firewall-name',
    type: 'string'
  },
  autoCreateFirewallRules: {
    flag: 'hetzner-auto-create-firewall-rules',
    type: 'boolean'
  },
  clusterId: {
    flag: 'hetzner-cluster-id',
    type: 'string'
  },
  existingSshKey: {
    flag: 'hetzner-existing-ssh-key',
    type: 'string'
  },
  disablePublicIpv4: {
    flag: 'hetzner-disable-public-ipv4',
    type: 'boolean'
  },
  disablePublicIpv6: {
    flag: 'hetzner-disable-public-ipv6',
    type: 'boolean'
  },
  placementGroup: {
    flag: 'hetzner-placement-group',
    type: 'string'
  },
  apiEndpoint: {
    flag:    'hetzner-api-endpoint',
    type:    'string',
    default: 'https://api.hetzner.cloud/v1'
  },
  sshUser: {
    flag:    'hetzner-ssh-user',
    type:    'string',
    default: 'root'
  },
  sshPort: {
    flag:    'hetzner-ssh-port',
    type:    'string',
    default: '22'
  },
  serverLabels: {
    flag: 'hetzner-server-labels',
    type: 'string[]'
  },
  rdnsTemplate: {
    flag: 'hetzner-rdns-template',
    type: 'string'
  },
  firewallAdminCidrs: {
    flag: 'hetzner-firewall-admin-cidrs',
    type: 'string[]'
  },
  firewallCloseNodeports: {
    flag: 'hetzner-firewall-close-nodeports',
    type: 'boolean'
  },
  additionalUserData: {
    flag: 'hetzner-additional-user-data',
    type: 'string'
  },
  placementGroupSpread: {
    flag: 'hetzner-placement-group-spread',
    type: 'boolean'
  },
  primaryIpv4: {
    flag: 'hetzner-primary-ipv4',
    type: 'string'
  },
  primaryIpv6: {
    flag: 'hetzner-primary-ipv6',
    type: 'string'
  },
  volumes: {
    flag: 'hetzner-volumes',
    type: 'string[]'
  },
} as const;
