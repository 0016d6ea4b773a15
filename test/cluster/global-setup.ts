import { BIN_DIR, ensureBinaries } from './binaries.js';
import { startControlPlane } from './control-plane.js';

/**
 * vitest globalSetup of `npm run test:cluster`: builds (or finds) kube-apiserver, etcd and
 * kubectl, starts the control plane, and hands it to the test workers through the environment
 * they inherit: E2E_KUBECONFIG (admin), E2E_OPERATOR_KUBECONFIG (deploy/'s ServiceAccount) and
 * PATH (kubectl of the same release first). With E2E_KUBECONFIG already set, that cluster is
 * used instead and nothing is built or started.
 */
export async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.E2E_KUBECONFIG) {
    console.log(`cluster tests: using the cluster of E2E_KUBECONFIG=${process.env.E2E_KUBECONFIG}`);
    return undefined;
  }
  ensureBinaries();
  process.env.PATH = `${BIN_DIR}:${process.env.PATH ?? ''}`;
  const plane = await startControlPlane();
  // A run killed or crashing still leaves no processes or temp dir behind.
  const onExit = () => plane.stopNow();
  const onSignal = (signal: NodeJS.Signals) => {
    plane.stopNow();
    process.kill(process.pid, signal);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.env.E2E_KUBECONFIG = plane.adminKubeconfig;
  process.env.E2E_OPERATOR_KUBECONFIG = plane.operatorKubeconfig;
  console.log(`cluster tests: kube-apiserver at ${plane.url}, files in ${plane.dir}`);
  return async () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await plane.stop();
  };
}
