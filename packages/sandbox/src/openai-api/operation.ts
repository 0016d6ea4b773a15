/** The three calls of the checkpoint-permissions API that faults and the request log name. */
export type Operation = 'list' | 'grant' | 'revoke';
