import type { ComposeFile } from './compose_file.js';

/** A `host:port` that a config file points at, e.g. `alertmanager:9093` in `http://alertmanager:9093`. */
export interface Address {
  file: string;
  line: number;
  host: string;
  port: number;
}

// A host name (IPs are left out: those are loopback health checks and listen addresses) and a port.
const HOST_PORT = /(?<![\w.-])([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*):(\d{2,5})(?![\w.])/gi;

/** Every host:port in the non-comment part of each line of a config file. */
export function findAddresses(file: string, text: string): Address[] {
  return text.split('\n').flatMap((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '');
    return [...line.matchAll(HOST_PORT)].map((m) => ({ file, line: i + 1, host: m[1]!, port: Number(m[2]) }));
  });
}

export interface AddressBook {
  compose: ComposeFile;
  /** The ports a compose service listens on. */
  portsOf(service: string): number[];
  /** Services that read each file (through their bind mounts): what `localhost` means there. */
  readers: Map<string, string[]>;
  /** Services a later issue adds, with the ports they will listen on. */
  planned: Record<string, number[]>;
}

/** One message per address that names no service, or a port its service does not listen on. */
export function checkAddresses(addresses: readonly Address[], book: AddressBook): string[] {
  return addresses.flatMap(({ file, line, host, port }) => {
    const where = `${file}:${line} ${host}:${port}`;
    if (host === 'localhost') {
      const readers = book.readers.get(file) ?? [];
      if (readers.length === 0) return [`${where}: localhost in a file no compose service reads`];
      const deaf = readers.filter((r) => !book.portsOf(r).includes(port));
      return deaf.map((r) => `${where}: read by ${r}, which listens on ${book.portsOf(r).join(', ')}`);
    }
    if (host in book.compose.services) {
      const ports = book.portsOf(host);
      return ports.includes(port) ? [] : [`${where}: ${host} listens on ${ports.join(', ')}`];
    }
    const planned = book.planned[host];
    if (planned)
      return planned.includes(port) ? [] : [`${where}: ${host} will listen on ${planned.join(', ')}`];
    return [`${where}: no compose service is named ${host}`];
  });
}
