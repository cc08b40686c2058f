// The embedded database shared with the owner's other processes (a `tqca` command beside the
// console): the process holding the lock serves its PGlite over the PostgreSQL protocol on a Unix
// socket in an owner-only directory beside the database (embeddedSocket.ts), never over TCP.
//
// PGlite is one backend, one session. Forwarding every client's messages into it as they come
// (what @electric-sql/pglite-socket does) would run one client's statements inside another's
// transaction, and the holder's own Prisma client too. So each connection gets the session for a
// turn at a time: from its first message while it has none to the ReadyForQuery that reports the
// session idle again, i.e. one whole transaction or one statement outside any. A turn runs under
// PGlite's transaction mutex, the lock the holder's own `query` and `transaction` take, so turns
// and the holder's own transactions never interleave either. Nobody else is in the session during
// a turn, which is why row locks (FOR UPDATE) and advisory locks keep their meaning: whoever
// would have waited for them waits for the turn instead.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { makePrivateDir } from './privateTree';
import { socketDirOf, socketPathOf } from './embeddedSocket';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** ReadyForQuery, ErrorResponse (backend); Terminate (frontend). */
const READY = 0x5a;
const ERROR = 0x45;
const TERMINATE = 0x58;
const IDLE = 0x49;
/** A frontend Sync, and a simple Query "ROLLBACK": what ends a dead client's turn. */
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);
const ROLLBACK = simpleQuery('ROLLBACK');
/** A startup packet larger than this is not PostgreSQL (the server's own limit is 10 000). */
const MAX_STARTUP = 10_000;

/** How long a client may hold its turn without sending anything (idle in a transaction) before it is disconnected. */
export const DEFAULT_IDLE_TURN_MS = 60_000;

export interface EmbeddedServer {
  readonly socketPath: string;
  /** Stops accepting, disconnects every client (rolling back what each had open) and removes the socket. */
  close(): Promise<void>;
}

function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51;
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** Waits for PGlite's transaction mutex; resolves with the function that gives it back. */
function takeTurn(db: PGlite): Promise<() => void> {
  return new Promise((resolve, reject) => {
    db._runExclusiveTransaction(() => new Promise<void>((release) => resolve(release))).catch(reject);
  });
}

interface Outcome {
  /** The status of the last ReadyForQuery in the response, if it held one. */
  ready?: number;
  error: boolean;
}

/** Runs one frontend message on the session; the response goes to `write` as PGlite produces it. */
async function execute(db: PGlite, message: Uint8Array, write: (bytes: Uint8Array) => void): Promise<Outcome> {
  const chunks: Uint8Array[] = [];
  await db.runExclusive(() =>
    db.execProtocolRawStream(message, {
      onRawData: (bytes) => {
        // PGlite reuses its buffer: copy before keeping or queueing it.
        const copy = Uint8Array.from(bytes);
        chunks.push(copy);
        write(copy);
      },
    }),
  );
  const response = Buffer.concat(chunks);
  const outcome: Outcome = { error: false };
  for (let at = 0; at + 5 <= response.length; at += 1 + response.readInt32BE(at + 1)) {
    if (response[at] === READY) {
      outcome.ready = response[at + 5];
      outcome.error = false;
    } else if (response[at] === ERROR) outcome.error = true;
  }
  return outcome;
}

class Connection {
  private buffer = Buffer.alloc(0);
  private started = false;
  private closed = false;
  private release: (() => void) | undefined;
  /** An ErrorResponse since the last ReadyForQuery: the session skips everything until a Sync. */
  private failed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Messages are run one after another, in the order they arrived. */
  private work: Promise<void> = Promise.resolve();
  /** Resolves once the client is gone and its turn (if any) is over. */
  readonly ended: Promise<void>;

  constructor(
    private readonly db: PGlite,
    private readonly socket: Socket,
    private readonly idleTurnMs: number,
  ) {
    socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.work = this.work.then(() => this.drain());
    });
    socket.on('error', () => socket.destroy());
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.work = this.work.then(() => this.endTurn()).then(resolve);
      });
    });
  }

  disconnect(): void {
    this.socket.destroy();
  }

  private async drain(): Promise<void> {
    try {
      for (let message = this.next(); message && !this.closed; message = this.next()) await this.run(message);
    } catch {
      // PGlite itself failed: this client cannot go on; its turn is ended on close.
      this.socket.destroy();
    }
  }

  /** The next complete frontend message, or undefined when more bytes are needed. */
  private next(): Buffer | undefined {
    // A typed message is its type byte and a length that counts itself; a startup packet its length and a code.
    const [headerSize, minimum] = this.started ? [5, 5] : [4, 8];
    if (this.buffer.length < headerSize) return undefined;
    const size = this.started ? 1 + this.buffer.readInt32BE(1) : this.buffer.readInt32BE(0);
    if (size < minimum || (!this.started && size > MAX_STARTUP)) {
      this.socket.destroy();
      return undefined;
    }
    if (this.buffer.length < size) return undefined;
    const message = this.buffer.subarray(0, size);
    this.buffer = this.buffer.subarray(size);
    return message;
  }

  private async run(message: Buffer): Promise<void> {
    if (!this.started) {
      const code = message.length >= 8 ? message.readInt32BE(4) : 0;
      // No TLS on a Unix socket: 'N' lets the client continue in the clear.
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) return void this.socket.write('N');
      // There is no backend to signal: the session is only ever one turn's.
      if (code === CANCEL_REQUEST || code !== PROTOCOL_3) return void this.socket.destroy();
      this.started = true;
    } else if (message[0] === TERMINATE) return void this.socket.end();
    if (!this.release) {
      this.release = await takeTurn(this.db);
      // The client left while it waited: nothing of its ran.
      if (this.closed) return this.giveBack();
    }
    // The clock runs only while the session waits for this client, not while it works for it.
    clearTimeout(this.idleTimer);
    const outcome = await execute(this.db, message, (bytes) => {
      if (!this.closed) this.socket.write(bytes);
    });
    if (outcome.ready !== undefined) this.failed = false;
    if (outcome.error) this.failed = true;
    if (outcome.ready === IDLE) this.giveBack();
    else this.idleTimer = setTimeout(() => this.socket.destroy(), this.idleTurnMs).unref();
  }

  private giveBack(): void {
    clearTimeout(this.idleTimer);
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /**
   * The client is gone while it held the session: undo what it had open, as PostgreSQL does for
   * a lost connection. After an error the session ignores all but Sync; then ROLLBACK ends an
   * explicit transaction and discards the implicit one of statements sent without their Sync
   * (a Sync would commit those).
   */
  private async endTurn(): Promise<void> {
    clearTimeout(this.idleTimer);
    if (!this.release) return;
    try {
      const ignore = () => {};
      if (this.failed) await execute(this.db, SYNC, ignore);
      let outcome = await execute(this.db, ROLLBACK, ignore);
      if (outcome.ready !== IDLE) outcome = await execute(this.db, ROLLBACK, ignore);
      if (outcome.ready !== IDLE) throw new Error(`the session is still in a transaction (status ${String(outcome.ready)})`);
    } catch (thrown) {
      // Handing the session on in a transaction would let the next client inherit it.
      process.stderr.write(`tqca: the embedded database could not undo a departed client's transaction: ${thrown instanceof Error ? thrown.message : String(thrown)}; stopping\n`);
      process.exit(70);
    } finally {
      this.giveBack();
    }
  }
}

/**
 * Serves `db` (whose directory this process has locked) on the socket beside `dataDir`. Any file
 * left there belongs to an earlier holder, dead since: the lock says so.
 */
export async function serveEmbedded(db: PGlite, dataDir: string, options: { idleTurnMs?: number } = {}): Promise<EmbeddedServer> {
  const socketPath = socketPathOf(dataDir);
  makePrivateDir(socketDirOf(dataDir));
  chmodSync(socketDirOf(dataDir), 0o700);
  rmSync(socketPath, { force: true });
  const connections = new Set<Connection>();
  const server: Server = createServer((socket) => {
    const connection = new Connection(db, socket, options.idleTurnMs ?? DEFAULT_IDLE_TURN_MS);
    connections.add(connection);
    void connection.ended.then(() => connections.delete(connection));
  });
  // The socket is created with the process's umask: owner-only from its first moment.
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);
  // An open listener keeps the process alive only as long as the database is open.
  return {
    socketPath,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.disconnect();
      await Promise.all([...connections].map((c) => c.ended));
      await stopped;
      rmSync(socketPath, { force: true });
    },
  };
}
