import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the end-to-end tests that hold on a real cluster, and the tests of
 * the CRD, kubectl and deploy/'s RBAC against one, with a real kube-apiserver and etcd started
 * by test/cluster/global-setup.ts (built from Go modules by test/cluster/build.sh), or the
 * cluster of E2E_KUBECONFIG when set. The stand-in-only tests (fault injection, request logs)
 * stay in `npm test`.
 */
export default defineConfig({
  test: {
    name: 'cluster',
    include: [
      'test/cluster/**/*.test.ts',
      'test/e2e/reconcile-lifecycle.test.ts',
      'test/e2e/reconcile-errors.test.ts',
      'test/e2e/operator-leader-election.test.ts',
      'test/e2e/reconcile-drift.test.ts',
      'test/e2e/reconcile-audit-log.test.ts',
    ],
    environment: 'node',
    globalSetup: ['test/support/build-once.ts', 'test/cluster/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
