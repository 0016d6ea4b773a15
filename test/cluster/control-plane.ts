import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { OPERATOR_NAMESPACE, renderKustomization } from '../support/deploy-manifests.js';
import { waitFor } from '../support/wait.js';
import { BIN_DIR, binary } from './binaries.js';

export const OPERATOR_SERVICE_ACCOUNT = 'checkpoint-share-operator';
/** What deploy/ installs that a control plane without nodes can use: the CRD, identity and RBAC. */
const APPLIED_KINDS = new Set([
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);
const STARTUP_MS = 180_000;

export interface ControlPlane {
  /** The API server's https URL on loopback. */
  readonly url: string;
  /** kubeconfig of a member of system:masters, for the tests' own setup and checks. */
  readonly adminKubeconfig: string;
  /** kubeconfig that authenticates as deploy/'s ServiceAccount (a TokenRequest token). */
  readonly operatorKubeconfig: string;
  /** The folder the kubeconfigs, certificates, logs and etcd's data live in; removed by stop(). */
  readonly dir: string;
  stop(): Promise<void>;
  /** stop() for a process that is exiting now: SIGKILL and remove the dir, synchronously. */
  stopNow(): void;
}

/** A port the kernel just handed out, closed again for the child process to bind. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

class Child {
  private readonly process: ChildProcess;
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    args: string[],
    readonly log: string,
  ) {
    const out = createWriteStream(log);
    this.process = spawn(binary(name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout?.pipe(out);
    this.process.stderr?.pipe(out);
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      });
    });
  }

  /** Throws with the end of its log if the process has already exited: a startup that failed. */
  assertRunning(): void {
    if (this.exitCode === undefined) return;
    throw new Error(`${this.name} exited with ${this.exitCode}:\n${this.tail()}`);
  }

  /** The last lines it logged, for an error that says why startup failed. */
  tail(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').split('\n').slice(-30).join('\n') : '';
  }

  kill(): void {
    if (this.exitCode === undefined) this.process.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.process.kill('SIGTERM');
    const killed = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killed);
  }
}

function kubeconfigFor(url: string, caData: string, user: string, token: string): string {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'cluster-tests', server: url, caData }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'cluster-tests', user }],
    currentContext: user,
  });
  return config.exportConfig();
}

/** The status of GET /readyz, checked against the server's own certificate; 0 if unreachable. */
function readyz(url: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve) => {
    const request = get(
      `${url}/readyz`,
      { ca, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', () => resolve(0));
  });
}

async function startEtcd(dir: string, children: Child[]): Promise<string> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = new Child(
    'etcd',
    [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // A throwaway store: what envtest passes too, and it spares the shared disk.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  children.push(etcd);
  await waitFor(
    'etcd to answer /health',
    async () => {
      etcd.assertRunning();
      const response = await fetch(`${url}/health`).catch(() => undefined);
      return response?.ok === true;
    },
    { timeoutMs: STARTUP_MS, intervalMs: 200 },
  );
  return url;
}

/**
 * kube-apiserver with the flags controller-runtime's envtest passes: loopback only, its own
 * self-signed serving certificate (--cert-dir), RBAC, a static token for an admin, and a
 * ServiceAccount signing key so TokenRequest can mint the operator's token.
 */
async function startApiServer(
  dir: string,
  etcdUrl: string,
  adminToken: string,
  children: Child[],
): Promise<{ url: string; caData: string }> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(
    join(dir, 'tokens.csv'),
    `${adminToken},cluster-tests-admin,cluster-tests-admin,"system:masters"\n`,
  );
  const certDir = join(dir, 'certs');
  const apiserver = new Child(
    'kube-apiserver',
    [
      `--etcd-servers=${etcdUrl}`,
      `--etcd-prefix=/registry-${randomBytes(4).toString('hex')}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      `--service-account-issuer=${url}`,
      '--v=0',
    ],
    join(dir, 'kube-apiserver.log'),
  );
  children.push(apiserver);
  const certFile = join(certDir, 'apiserver.crt');
  // Read again on each try: the first read may catch the certificate half written.
  const ca = await waitFor(
    'kube-apiserver /readyz',
    async () => {
      apiserver.assertRunning();
      if (!existsSync(certFile)) return undefined;
      const cert = readFileSync(certFile);
      return (await readyz(url, cert, adminToken)) === 200 && cert;
    },
    { timeoutMs: STARTUP_MS, intervalMs: 250 },
  );
  return { url, caData: ca.toString('base64') };
}

/**
 * Applies deploy/'s CRD, namespace, ServiceAccount and RBAC as rendered by kustomize, with kubectl
 * as a user would. (Not through client-node's typed serializer: it knows CRD schema fields by
 * their TypeScript names, so a plain object's `enum`, `default` and `x-kubernetes-*` would be
 * dropped without a word.)
 */
async function applyDeploy(admin: KubeConfig, kubeconfig: string): Promise<void> {
  const objects = renderKustomization().filter((o: KubernetesObject) => APPLIED_KINDS.has(o.kind ?? ''));
  execFileSync(binary('kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {
    input: objects.map((o) => stringify(o)).join('---\n'),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const extensions = admin.makeApiClient(ApiextensionsV1Api);
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    await waitFor(`CRD ${crd.metadata?.name} to be established`, async () => {
      const current: V1CustomResourceDefinition = await extensions.readCustomResourceDefinition({
        name: crd.metadata?.name ?? '',
      });
      return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

/**
 * etcd and kube-apiserver on loopback with random ports and a temp dir, deploy/'s CRD and RBAC
 * applied, and kubeconfigs for an admin and for the operator's ServiceAccount. Everything is
 * stopped and the dir removed by stop(), which is also called if startup fails.
 */
export async function startControlPlane(): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'cps-cluster-'));
  const children: Child[] = [];
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const stopNow = () => {
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcdUrl = await startEtcd(dir, children);
    const adminToken = randomBytes(24).toString('hex');
    const { url, caData } = await startApiServer(dir, etcdUrl, adminToken, children);
    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(adminKubeconfig, kubeconfigFor(url, caData, 'admin', adminToken));
    const admin = new KubeConfig();
    admin.loadFromFile(adminKubeconfig);
    await applyDeploy(admin, adminKubeconfig);

    const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: OPERATOR_SERVICE_ACCOUNT,
      namespace: OPERATOR_NAMESPACE,
      body: { spec: { expirationSeconds: 24 * 3600 } },
    });
    const operatorKubeconfig = join(dir, 'operator.kubeconfig');
    writeFileSync(operatorKubeconfig, kubeconfigFor(url, caData, 'operator', request.status?.token ?? ''));
    return { url, adminKubeconfig, operatorKubeconfig, dir, stop, stopNow };
  } catch (error: unknown) {
    const tails = children.map((c) => `--- ${c.name} ---\n${c.tail()}`).join('\n');
    await stop().catch(() => undefined);
    throw new Error(
      `the control plane did not start (binaries in ${BIN_DIR}): ${
        error instanceof Error ? error.message : String(error)
      }\n${tails}`,
    );
  }
}
