import { loadCrd, storageVersion } from './crd.js';

/**
 * The CheckpointShare API's names as the CRD in crds/ declares them: the stand-in serves what
 * the CRD says, as an API server does, and knows nothing of the operator's own constants.
 */
const crd = loadCrd();
export const GROUP = crd.spec.group;
export const VERSION = storageVersion(crd).name;
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = crd.spec.names.kind;
export const LIST_KIND = crd.spec.names.listKind;
export const PLURAL = crd.spec.names.plural;
export const SINGULAR = crd.spec.names.singular;
