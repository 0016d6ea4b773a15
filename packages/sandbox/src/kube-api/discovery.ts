/**
 * Legacy (unaggregated) discovery for exactly the resources the stand-in serves. kubectl and
 * client-go ask for aggregated discovery first and fall back to these documents when the answer
 * is plain application/json, as it is here.
 */
import { apiVersionOf, type ResourceType } from './resources/index.js';

/** The Kubernetes version the stand-in answers like; kubectl picks its skew rules from it. */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

function groupVersions(resources: readonly ResourceType[]): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const rt of resources) {
    if (rt.group === '') continue;
    const versions = groups.get(rt.group) ?? new Set<string>();
    versions.add(rt.version);
    groups.set(rt.group, versions);
  }
  return groups;
}

function apiGroup(name: string, versions: Set<string>): Record<string, unknown> {
  const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

function resourceList(
  resources: readonly ResourceType[],
  group: string,
  version: string,
): Record<string, unknown> {
  const entries = resources
    .filter((rt) => rt.group === group && rt.version === version)
    .flatMap((rt) => {
      const main = {
        name: rt.resource,
        singularName: rt.singular,
        namespaced: rt.namespaced,
        kind: rt.kind,
        verbs: [...rt.verbs],
        ...(rt.shortNames.length > 0 ? { shortNames: [...rt.shortNames] } : {}),
        ...(rt.categories.length > 0 ? { categories: [...rt.categories] } : {}),
      };
      if (!rt.statusSubresource) return [main];
      const status = {
        name: `${rt.resource}/status`,
        singularName: '',
        namespaced: rt.namespaced,
        kind: rt.kind,
        verbs: ['get', 'patch', 'update'],
      };
      return [main, status];
    });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: entries,
  };
}

/** The discovery document at `path`, or undefined when the path is not a discovery path. */
export function discoveryDocument(
  resources: readonly ResourceType[],
  path: string,
  serverAddress: string,
): unknown | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  const groups = groupVersions(resources);
  if (path === '/version' || path === '/version/') return SERVER_VERSION;
  if (parts.length === 1 && parts[0] === 'api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }
  if (parts.length === 2 && parts[0] === 'api' && parts[1] === 'v1') return resourceList(resources, '', 'v1');
  if (parts[0] !== 'apis') return undefined;
  if (parts.length === 1) {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups.entries()].map(([name, versions]) => apiGroup(name, versions)),
    };
  }
  const versions = parts[1] === undefined ? undefined : groups.get(parts[1]);
  if (!versions || parts[1] === undefined) return undefined;
  if (parts.length === 2) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(parts[1], versions) };
  if (parts.length === 3 && parts[2] !== undefined && versions.has(parts[2])) {
    return resourceList(resources, parts[1], parts[2]);
  }
  return undefined;
}
