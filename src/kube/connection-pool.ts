import type { AgentOptions } from 'node:https';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';

/** The part of an undici Dispatcher this module touches. */
interface Dispatcher {
  close(): Promise<void>;
}

/** KubeConfig's private per-request factory, which this module replaces on one instance. */
interface DispatcherFactory {
  createDispatcher(cluster: Cluster | null, agentOptions: AgentOptions): Dispatcher | undefined;
}

/**
 * Makes every request through `config` share one connection pool per set of TLS options.
 *
 * client-node 2.0.1 builds a new undici Agent for every request whenever TLS options exist (a CA
 * in any real cluster, skip-verify locally): a new TCP connection and TLS handshake per call, and
 * native memory that grows with the number of calls (the soak saw the leader's RSS climb while
 * its V8 heap stayed flat). Its agent cache covers only the node `https.Agent` path. Here the
 * options client-node computes for each request are fingerprinted, and the Agent built for them
 * is reused until they change (a rotated client certificate), when the old pool is closed after
 * its requests in flight finish. Reaching the private factory is the only hook client-node offers.
 */
export function shareConnections(config: KubeConfig): void {
  const factory = config as unknown as DispatcherFactory;
  const build = factory.createDispatcher.bind(config);
  let pool: { fingerprint: string; dispatcher: Dispatcher } | undefined;
  factory.createDispatcher = (cluster, agentOptions) => {
    const options = config.createDispatcherOptions(cluster, agentOptions);
    if (options.type === 'none') return undefined;
    // Compared as it is: hashing it on every request cost more CPU (2.5 s at 10,000 shares)
    // than comparing a few kilobytes of text.
    const fingerprint = JSON.stringify([cluster?.server, options]);
    if (pool?.fingerprint === fingerprint) return pool.dispatcher;
    const dispatcher = build(cluster, agentOptions);
    if (dispatcher === undefined) return undefined;
    const previous = pool;
    pool = { fingerprint, dispatcher };
    void previous?.dispatcher.close().catch(() => undefined);
    return dispatcher;
  };
}
