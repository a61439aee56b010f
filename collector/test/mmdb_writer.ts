/**
 * A tiny MaxMind DB writer for tests: IPv4 networks mapped to records, encoded
 * as the MaxMind DB format 2.0 describes (binary search tree with 24-bit records,
 * a 16-byte separator, the data section, then the metadata after its marker).
 * Enough types for GeoIP2 City/ASN records: maps, strings, doubles, uint32, arrays.
 */
type Value = string | number | boolean | Value[] | { [key: string]: Value };

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const first = (extended ? 0 : type << 5) | (size < 29 ? size : size < 285 ? 29 : 30);
  const parts = [first];
  if (extended) parts.push(type - 7);
  if (size >= 29 && size < 285) parts.push(size - 29);
  else if (size >= 285) parts.push(((size - 285) >> 8) & 0xff, (size - 285) & 0xff);
  return Buffer.from(parts);
}

function uint(type: number, value: number | bigint): Buffer {
  let v = BigInt(value);
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

export function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) return uint(6, value);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    return Buffer.concat([control(3, 8), b]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

interface TreeNode {
  children: [TreeNode | number | undefined, TreeNode | number | undefined];
  index?: number;
}

/** Builds a database; `networks` maps `a.b.c.d/len` to a record. */
export function buildMmdb(databaseType: string, networks: Record<string, Value>): Buffer {
  const data: Buffer[] = [];
  let dataSize = 0;
  const root: TreeNode = { children: [undefined, undefined] };
  for (const [cidr, record] of Object.entries(networks)) {
    const [address, bitsText] = cidr.split('/') as [string, string];
    const bits = Number(bitsText);
    const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const encoded = encode(record);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    let node = root;
    for (let depth = 0; depth < bits; depth++) {
      const bit = Math.floor(value / 2 ** (31 - depth)) % 2;
      if (depth === bits - 1) {
        node.children[bit] = -1 - offset; // a data offset, resolved below
      } else {
        let next = node.children[bit];
        if (typeof next !== 'object') {
          next = { children: [undefined, undefined] };
          node.children[bit] = next;
        }
        node = next;
      }
    }
  }
  const nodes: TreeNode[] = [];
  const number = (n: TreeNode) => {
    n.index = nodes.length;
    nodes.push(n);
    for (const c of n.children) if (typeof c === 'object') number(c);
  };
  number(root);
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((n, i) => {
    n.children.forEach((c, side) => {
      let record: number;
      if (c === undefined) record = nodeCount;
      else if (typeof c === 'object') record = c.index!;
      else record = nodeCount + 16 + (-1 - c);
      tree.writeUIntBE(record, i * 6 + side * 3, 3);
    });
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'whodunit test database' },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com'),
    metadata,
  ]);
}
