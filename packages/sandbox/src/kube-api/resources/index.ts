import { checkpointSharePolicies } from './checkpointsharepolicies.js';
import { checkpointShares } from './checkpointshares.js';
import { customResourceDefinitions } from './customresourcedefinitions.js';
import { coreEvents, eventsV1 } from './events.js';
import { leases } from './leases.js';
import { namespaces } from './namespaces.js';
import type { ResourceType } from './resource-type.js';
import { secrets } from './secrets.js';

export { preinstalledCrd } from './customresourcedefinitions.js';
export type { Admission, AdmitContext, ResourceType, TableColumn, Verb } from './resource-type.js';
export { apiVersionOf } from './resource-type.js';

/** Every resource the stand-in serves: what the operator and kubectl touch, nothing more. */
export function servedResources(): ResourceType[] {
  return [
    namespaces(),
    coreEvents(),
    secrets(),
    checkpointShares(),
    checkpointSharePolicies(),
    eventsV1(),
    leases(),
    customResourceDefinitions(),
  ];
}
