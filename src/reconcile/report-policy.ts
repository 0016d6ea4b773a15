import { isDeepStrictEqual } from 'node:util';
import type { CheckpointSharePolicy } from '../api/policy-types.js';
import { describeKubeError, kubeStatus } from '../kube/client.js';
import type { PolicyWriter } from '../kube/policy-writer.js';
import type { Logger } from '../observability/logger.js';
import type { CompiledPolicy } from '../tenancy/policy.js';
import { policyStatus } from '../tenancy/policy-status.js';

export interface PolicyReportDeps {
  writer: PolicyWriter;
  now: () => Date;
  /** Throws when this replica may no longer write; called before the write. */
  fence: () => void;
  logger: Logger;
}

/**
 * Writes a CheckpointSharePolicy's Ready condition when it differs from what the policy shows.
 * The leader's job, behind the fence like every other write; an unchanged policy costs nothing,
 * so the watch event of its own write ends here. Failures are logged: the next change of the
 * policy, or the next leader, writes it again.
 */
export class PolicyReporter {
  constructor(private readonly deps: PolicyReportDeps) {}

  async report(policy: CheckpointSharePolicy, compiled: CompiledPolicy): Promise<void> {
    const status = policyStatus(policy, compiled, this.deps.now());
    if (isDeepStrictEqual(policy.status ?? {}, status)) return;
    try {
      this.deps.fence();
      await this.deps.writer.writeStatus(policy, status);
    } catch (error: unknown) {
      // 409: the policy changed meanwhile; its new version comes with its own event.
      const level = kubeStatus(error) === 409 ? 'debug' : 'warn';
      this.deps.logger[level](
        {
          policy: policy.metadata.name,
          error: error instanceof Error ? describeKubeError(error) : String(error),
        },
        'could not write CheckpointSharePolicy status',
      );
    }
  }
}
