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
  return {
    address,
    tls: mtlsFromFiles(tls, { caFile: 'TEMPORAL_TLS_CA', certFile: 'TEMPORAL_TLS_CERT', keyFile: 'TEMPORAL_TLS_KEY' }),
  };
}

/** A client certificate for mutual TLS: PEM files (the server's CA, this client's certificate and key). */
export interface MtlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The name the server's certificate is for, when it is not the address's host. */
  serverName?: string;
}

/** TLS options from PEM files; a file that cannot be read throws naming its setting (`names`). */
export function mtlsFromFiles(
  files: MtlsFiles,
  names: Record<'caFile' | 'certFile' | 'keyFile', string> = {
    caFile: 'caFile',
    certFile: 'certFile',
    keyFile: 'keyFile',
  },
): TLSConfig {
  const read = (which: keyof typeof names) => {
    try {
      return fs.readFileSync(files[which]);
    } catch (err) {
      throw new Error(`${names[which]}: cannot read ${files[which]}: ${(err as Error).message}`);
    }
  };
  return {
    serverRootCACertificate: read('caFile'),
    clientCertPair: { crt: read('certFile'), key: read('keyFile') },
    ...(files.serverName && { serverNameOverride: files.serverName }),
  };
}
