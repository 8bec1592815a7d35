// Mounted certificates (cert-manager, or `make certs`): the key pair is read from files and
// read again whenever their directory changes. The directory is watched, not the files:
// Kubernetes updates a mounted Secret by swapping a `..data` symlink in the directory, which
// a watch on the old file would never see. A pair that does not parse, whose key is not the
// certificate's (a half-written update) or that has expired is not served; the current one
// stays until the next change brings a good pair. caBundle is left to whoever manages it.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { certificateFacts } from './inspect.js';
import type { ServingPair } from './material.js';
import { servable } from './plan.js';

export interface MountedFiles {
  certFile: string;
  keyFile: string;
}

/** Events of one update (key and certificate written one after the other) are read once. */
const SETTLE_MS = 100;

export async function readMountedPair(files: MountedFiles): Promise<ServingPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  return { cert, key };
}

export interface MountedWatch {
  stop(): void;
}

/** Calls onChange with each new servable pair read after the files' directories change. */
export function watchMountedPair(files: MountedFiles, current: ServingPair, onChange: (pair: ServingPair) => void, log: Logger): MountedWatch {
  let served = current.cert;
  let timer: NodeJS.Timeout | undefined;
  const reload = async () => {
    try {
      const pair = await readMountedPair(files);
      if (pair.cert === served) return;
      if (!servable(pair, Date.now())) {
        log.warn({ certFile: files.certFile }, 'mounted certificate and key do not form a valid pair (yet); keeping the current one');
        return;
      }
      served = pair.cert;
      onChange(pair);
      log.info({ certFile: files.certFile, fingerprint: certificateFacts(pair.cert)?.fingerprint }, 'mounted serving certificate reloaded');
    } catch (error) {
      log.warn({ certFile: files.certFile, error: error instanceof Error ? error.message : String(error) }, 'could not read the mounted certificate; keeping the current one');
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), SETTLE_MS);
  };
  // Any change in the directory counts: the names an update touches differ by tool
  // (`..data_tmp` renamed over `..data` by the kubelet, the files themselves by others).
  const watchers: FSWatcher[] = [...new Set([dirname(files.certFile), dirname(files.keyFile)])].map((directory) => {
    const watcher = watch(directory, { persistent: false }, () => schedule());
    watcher.on('error', (error) => log.warn({ directory, error: error.message }, 'watching the certificate directory failed'));
    return watcher;
  });
  return {
    stop: () => {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
