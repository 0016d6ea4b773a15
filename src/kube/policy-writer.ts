import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../api/constants.js';
import type { CheckpointSharePolicy, CheckpointSharePolicyStatus } from '../api/policy-types.js';
import { KUBE_CALL_TIMEOUT_MS, withDeadline } from './deadline.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The operator's one write to a CheckpointSharePolicy: its status (Ready), on the status subresource. */
export interface PolicyWriter {
  writeStatus(
    policy: CheckpointSharePolicy,
    status: CheckpointSharePolicyStatus,
    signal?: AbortSignal,
  ): Promise<CheckpointSharePolicy>;
}

export class KubePolicyWriter implements PolicyWriter {
  constructor(
    private readonly api: CustomObjectsApi,
    private readonly fieldManager: string,
    private readonly callTimeoutMs: number = KUBE_CALL_TIMEOUT_MS,
  ) {}

  /** Guarded by resourceVersion: a policy edited meanwhile gets its status from the next event. */
  async writeStatus(
    policy: CheckpointSharePolicy,
    status: CheckpointSharePolicyStatus,
    signal?: AbortSignal,
  ): Promise<CheckpointSharePolicy> {
    const body = { metadata: { resourceVersion: policy.metadata.resourceVersion }, status };
    return (await withDeadline(
      `status write of CheckpointSharePolicy ${policy.metadata.name}`,
      this.callTimeoutMs,
      signal,
      (options) =>
        this.api.patchClusterCustomObjectStatus(
          {
            group: GROUP,
            version: VERSION,
            plural: POLICY_PLURAL,
            name: policy.metadata.name,
            body,
            fieldManager: this.fieldManager,
          },
          options,
        ),
      MERGE_PATCH,
    )) as CheckpointSharePolicy;
  }
}
