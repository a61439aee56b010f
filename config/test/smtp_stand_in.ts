import { createServer, type Server, type Socket } from 'node:net';

/** One message as the stand-in received it: the login, the envelope and the raw data. */
export interface SmtpMessage {
  username: string;
  password: string;
  from: string;
  to: string[];
  data: string;
}

export interface SmtpStandIn {
  readonly port: number;
  /** Resolves with the first complete message. */
  readonly message: Promise<SmtpMessage>;
  close(): Promise<void>;
}

/**
 * A plain-text SMTP server on 127.0.0.1 that offers AUTH PLAIN (no STARTTLS: Go's PLAIN auth
 * allows that towards localhost only) and accepts every command, enough for Alertmanager's email
 * notifier. A line over 64 KiB or a message over 1 MiB closes the connection.
 */
export async function startSmtpStandIn(): Promise<SmtpStandIn> {
  let deliver: (message: SmtpMessage) => void = () => undefined;
  const message = new Promise<SmtpMessage>((resolve) => (deliver = resolve));
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const current: SmtpMessage = { username: '', password: '', from: '', to: [], data: '' };
    let buffer = '';
    let inData = false;
    const reply = (text: string) => socket.write(`${text}\r\n`);
    const handle = (line: string) => {
      if (inData) {
        if (line !== '.') return void (current.data += `${line}\n`);
        inData = false;
        deliver({ ...current, to: [...current.to] });
        return reply('250 2.0.0 queued');
      }
      const [verb = '', ...rest] = line.split(' ');
      const argument = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
          return reply('250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME');
        case 'AUTH': {
          const [, username = '', password = ''] = Buffer.from(rest[1] ?? '', 'base64')
            .toString('utf8')
            .split('\0');
          Object.assign(current, { username, password });
          return reply('235 2.7.0 accepted');
        }
        case 'MAIL':
          current.from = /<(.*)>/.exec(argument)?.[1] ?? '';
          return reply('250 2.1.0 ok');
        case 'RCPT':
          current.to.push(/<(.*)>/.exec(argument)?.[1] ?? '');
          return reply('250 2.1.5 ok');
        case 'DATA':
          inData = true;
          return reply('354 go ahead');
        case 'QUIT':
          reply('221 2.0.0 bye');
          return void socket.end();
        default:
          return reply('250 ok');
      }
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        handle(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
      if (buffer.length > 65_536 || current.data.length > 1_048_576) socket.destroy();
    });
    reply('220 localhost ESMTP stand-in');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    message,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
