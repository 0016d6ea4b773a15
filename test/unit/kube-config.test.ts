import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { loadKubeConfig } from '../../src/kube/client.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Kubeconfig {
  current?: string;
  clusters?: Record<string, string>;
  contexts?: Record<string, string>;
  users?: string[];
  ca?: string;
}

/** Writes a kubeconfig whose context NAME uses cluster NAME and user `u`; returns its path. */
function kubeconfig(
  name: string,
  { current, clusters = {}, contexts = {}, users = ['u'], ca }: Kubeconfig,
): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'config');
  const clusterList = Object.entries(clusters).map(([cluster, server]) => ({
    name: cluster,
    cluster: { server, ...(ca ? { 'certificate-authority': ca } : {}) },
  }));
  const contextList = Object.entries(contexts).map(([context, cluster]) => ({
    name: context,
    context: { cluster, user: users[0] },
  }));
  const userList = users.map((user) => ({ name: user, user: { token: `token-of-${name}` } }));
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      ...(current ? { 'current-context': current } : {}),
      clusters: clusterList,
      contexts: contextList,
      users: userList,
    }),
  );
  return path;
}

const outside = { inCluster: false, home: join(dir, 'no-home') };

/** The error loadKubeConfig throws, as text, or a failure if it throws none. */
function refusal(kubeconfigSetting: string | undefined, sources = outside): string {
  try {
    loadKubeConfig(kubeconfigSetting, sources);
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadKubeConfig accepted it');
}

describe('loadKubeConfig with several KUBECONFIG paths, as kubectl merges them', () => {
  const first = kubeconfig('first', {
    current: 'prod',
    clusters: { prod: 'https://prod.example:6443', shared: 'https://first.example:6443' },
    contexts: { prod: 'prod', shared: 'shared' },
    users: ['u'],
  });
  const second = kubeconfig('second', {
    current: 'dev',
    clusters: { dev: 'https://dev.example:6443', shared: 'https://second.example:6443' },
    contexts: { dev: 'dev' },
    users: ['u', 'v'],
    ca: 'ca.crt',
  });

  it.each([
    {
      reason: "the first file's current-context wins",
      paths: [first, second],
      current: 'prod',
      server: 'https://prod.example:6443',
    },
    {
      reason: 'a later file sets current-context when the first does not',
      paths: [kubeconfig('no-current', { clusters: { x: 'https://x.example' } }), second],
      current: 'dev',
      server: 'https://dev.example:6443',
    },
    {
      reason: 'a missing file in the list is skipped',
      paths: [join(dir, 'missing', 'config'), second],
      current: 'dev',
      server: 'https://dev.example:6443',
    },
  ])('$reason', ({ paths, current, server }) => {
    const config = loadKubeConfig(paths.join(delimiter), outside);
    expect(config.getCurrentContext()).toBe(current);
    expect(config.getCurrentCluster()?.server).toBe(server);
  });

  it('merges every name, the first definition of a name winning, and resolves paths per file', () => {
    const config = loadKubeConfig(`${first}${delimiter}${second}`, outside);
    expect(config.getClusters().map((c) => c.name)).toEqual(['prod', 'shared', 'dev']);
    expect(config.getCluster('shared')?.server).toBe('https://first.example:6443');
    expect(config.getContexts().map((c) => c.name)).toEqual(['prod', 'shared', 'dev']);
    expect(config.getUsers().map((u) => u.name)).toEqual(['u', 'v']);
    expect(config.getUser('u')?.token).toBe('token-of-first');
    expect(config.getCluster('dev')?.caFile).toBe(join(dir, 'second', 'ca.crt'));
  });
});

describe('loadKubeConfig refuses what it cannot use, naming the setting and the path', () => {
  const broken = join(dir, 'broken');
  writeFileSync(broken, 'users:\n  - name: u\n    user: {token: secret-token-in-the-file\n  bad: [');
  const noCurrent = kubeconfig('dangling', { current: 'gone', clusters: { a: 'https://a.example' } });

  it.each([
    { reason: 'a file that does not exist', setting: join(dir, 'nope'), says: [join(dir, 'nope')] },
    { reason: 'a directory, not a file', setting: dir, says: [`cannot read kubeconfig ${dir}`] },
    { reason: 'a file that is not YAML', setting: broken, says: [`cannot read kubeconfig ${broken}`] },
    {
      reason: 'a current-context that names nothing',
      setting: noCurrent,
      says: ['current-context', noCurrent],
    },
  ])('$reason', ({ setting, says }) => {
    const message = refusal(setting);
    expect(message).toMatch(/^KUBECONFIG \(--kubeconfig\): /);
    for (const part of says) expect(message).toContain(part);
    expect(message).not.toContain('secret-token-in-the-file');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('with nothing to go on outside a cluster, says in one line everything it looked for', () => {
    const message = refusal(undefined);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('/var/run/secrets/kubernetes.io/serviceaccount');
    expect(message).toContain('KUBECONFIG');
    expect(message).toContain(join(outside.home, '.kube', 'config'));
  });

  it('falls back to ~/.kube/config when KUBECONFIG is not set', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(
      join(home, '.kube', 'config'),
      JSON.stringify({
        'current-context': 'c',
        clusters: [{ name: 'c', cluster: { server: 'https://home.example:6443' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        users: [{ name: 'u', user: {} }],
      }),
    );
    expect(loadKubeConfig(undefined, { inCluster: false, home }).getCurrentCluster()?.server).toBe(
      'https://home.example:6443',
    );
  });
});
