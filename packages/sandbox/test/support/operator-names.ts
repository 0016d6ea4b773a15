/** Names the operator writes, used here as realistic data for the stand-in to store. */
export const FINALIZER = 'checkpointshare.io/revoke';
export const EVENT_SOURCE = 'checkpoint-share-operator';
