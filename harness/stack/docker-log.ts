/** Docker's multiplexed log stream: 8-byte frame headers before each chunk. */
export function demuxDockerLog(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return parts.length > 0 ? Buffer.concat(parts) : buf;
}
