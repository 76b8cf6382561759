// How every Trainyard process reaches the Temporal frontend: the address and, with mTLS, the CA
// and this process's client certificate (read from the files the config names). One helper for
// the API (Connection) and the workers (NativeConnection), which take the same shape.
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
}

/** Connection options for config.temporal; throws naming the variable when a file cannot be read. */
export function temporalConnectionOptions(
  config: Config,
  address = config.temporal.address,
): TemporalConnectionOptions {
  if (!address) throw new Error('TEMPORAL_ADDRESS is required (e.g. TEMPORAL_ADDRESS=127.0.0.1:7233)');
  const tls = config.temporal.tls;
  if (!tls) return { address };
  const read = (file: string, variable: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`${variable}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    address,
    tls: {
      serverRootCACertificate: read(tls.caFile, 'TEMPORAL_TLS_CA'),
      clientCertPair: { crt: read(tls.certFile, 'TEMPORAL_TLS_CERT'), key: read(tls.keyFile, 'TEMPORAL_TLS_KEY') },
      ...(tls.serverName && { serverNameOverride: tls.serverName }),
    },
  };
}
