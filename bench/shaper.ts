/**
 * A shaping TCP proxy on loopback: what a registry across a real network
 * looks like to a client. Every byte crosses a link with a one-way latency
 * and a bandwidth cap; the cap is shared by every connection (one FIFO queue
 * per direction, served at the cap: a token bucket without burst), the way
 * one network path is. Optionally (on by default) it also plays the parts of
 * TCP that make many short transfers slow across a network: the handshake's
 * round trip before a new connection's first byte, and slow start (a new or
 * idle connection may have only 10 segments in flight, doubling every round
 * trip, up to a 4 MiB window). Without it, every connection has a 4 MiB
 * window from its first byte.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'

export interface ShaperOptions {
  /** One-way latency, each direction. */
  latencyMs: number
  /** Bandwidth cap per direction, shared by all connections. */
  rateBitsPerSecond: number
  /** Model the TCP handshake round trip and slow start. */
  tcp: boolean
}

export interface LinkStats {
  /** Payload bytes client -> registry. */
  upBytes: number
  /** Payload bytes registry -> client. */
  downBytes: number
  connections: number
}

export interface Shaper {
  /** '127.0.0.1:<port>' */
  host: string
  options: ShaperOptions
  stats(): LinkStats
  stop(): Promise<void>
}

const SEGMENT = 1448
const INITIAL_WINDOW = 10 * SEGMENT
const MAX_WINDOW = 4 * 1024 * 1024
/** Linux's minimum retransmission timeout: the idle time after which slow start begins again. */
const MIN_RTO_MS = 200
/** Bytes a connection may queue in the proxy before its sender is paused. */
const HIGH_WATER = 512 * 1024
const LOW_WATER = 128 * 1024
/** Chunks are cut to this size so a big read does not hold the link in one piece. */
const CHUNK = 16 * 1024

/** One direction of the network path: a FIFO served at the cap, then the latency. */
class Link {
  private freeAt = 0
  bytes = 0

  /** The bottleneck's queue, as time: one round trip (at least 5 ms). */
  readonly bufferMs: number

  constructor(
    private readonly bytesPerMs: number,
    readonly latencyMs: number
  ) {
    this.bufferMs = Math.max(5, 2 * latencyMs)
  }

  /** How long data handed to the link now would wait behind what is queued already. */
  backlog(now: number): number {
    return Math.max(0, this.freeAt - now)
  }

  /** When `size` bytes handed to the link at `now` have fully arrived at the other end. */
  send(size: number, now: number): number {
    const start = Math.max(now, this.freeAt)
    this.freeAt = start + size / this.bytesPerMs
    this.bytes += size
    return this.freeAt + this.latencyMs
  }
}

interface Segment {
  data: Buffer
  due: number
}

/** One direction of one connection: source socket -> link -> destination socket. */
class Pipe {
  private readonly waiting: Buffer[] = []
  private waitingBytes = 0
  private readonly flying: Segment[] = []
  private unacked = 0
  private window: number
  private lastSend: number
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private endSent = false
  private ended = false
  private closed = false

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly link: Link,
    private readonly tcp: boolean,
    /** Nothing enters the link before this time (the handshake). */
    private readonly notBefore: number
  ) {
    this.window = tcp ? INITIAL_WINDOW : MAX_WINDOW
    this.lastSend = performance.now()
    src.on('data', (chunk: Buffer) => {
      for (let offset = 0; offset < chunk.length; offset += CHUNK) {
        const piece = chunk.subarray(offset, offset + CHUNK)
        this.waiting.push(piece)
        this.waitingBytes += piece.length
      }
      if (this.waitingBytes > HIGH_WATER) src.pause()
      this.pump()
    })
    src.on('end', () => {
      this.ended = true
      this.pump()
    })
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  /** Moves waiting bytes into the link as far as the window allows, and delivers what is due. */
  private pump(): void {
    if (this.closed) return
    const now = performance.now()
    if (now < this.notBefore) {
      this.schedule(this.notBefore)
      return
    }
    if (
      this.tcp &&
      this.unacked === 0 &&
      now - this.lastSend > MIN_RTO_MS + 2 * this.link.latencyMs
    ) {
      // Slow start again after an idle period (Linux: tcp_slow_start_after_idle).
      const idleRtos = Math.floor((now - this.lastSend) / (MIN_RTO_MS + 2 * this.link.latencyMs))
      this.window = Math.max(INITIAL_WINDOW, this.window / 2 ** idleRtos)
    }
    while (this.waiting.length > 0 && (this.unacked === 0 || this.unacked < this.window)) {
      // The bottleneck's buffer holds one round trip of data; senders wait while it is full
      // (where a real network would drop and the sender's window would shrink).
      const backlog = this.link.backlog(now)
      if (backlog > this.link.bufferMs) {
        this.schedule(now + backlog - this.link.bufferMs)
        break
      }
      const data = this.waiting.shift() as Buffer
      this.waitingBytes -= data.length
      const due = this.link.send(data.length, now)
      this.unacked += data.length
      this.lastSend = now
      this.flying.push({ data, due })
      // The acknowledgement comes back one latency after the data arrived.
      const size = data.length
      setTimeout(() => this.acked(size), due + this.link.latencyMs - now)
    }
    if (this.waitingBytes < LOW_WATER && this.src.isPaused()) this.src.resume()
    this.deliver(now)
  }

  private acked(size: number): void {
    this.unacked -= size
    if (this.tcp) this.window = Math.min(MAX_WINDOW, this.window + size)
    this.pump()
  }

  /** Writes every segment that has arrived, in order; waits for the next one. */
  private deliver(now: number): void {
    while (this.flying.length > 0 && this.flying[0].due <= now + 0.5) {
      const segment = this.flying.shift() as Segment
      if (!this.dst.destroyed) this.dst.write(segment.data)
    }
    if (this.flying.length > 0) {
      this.schedule(this.flying[0].due)
    } else if (this.ended && this.waiting.length === 0 && !this.endSent && !this.dst.destroyed) {
      this.endSent = true
      this.dst.end()
    }
  }

  /** Runs pump() at `at`, or earlier if it is due earlier for another reason. */
  private schedule(at: number): void {
    if (this.timer !== undefined && at >= this.timerAt) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        this.pump()
      },
      Math.max(0, at - performance.now())
    )
  }
}

/** Starts the proxy in front of `upstream` ('127.0.0.1:<port>'). */
export async function startShaper(upstream: string, options: ShaperOptions): Promise<Shaper> {
  const [upstreamHost, upstreamPort] = upstream.split(':')
  const bytesPerMs = options.rateBitsPerSecond / 8 / 1000
  const up = new Link(bytesPerMs, options.latencyMs)
  const down = new Link(bytesPerMs, options.latencyMs)
  const sockets = new Set<net.Socket>()
  let connections = 0

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, client => {
    connections++
    const opened = performance.now()
    const registry = net.connect({
      host: upstreamHost,
      port: Number(upstreamPort),
      allowHalfOpen: true,
      noDelay: true
    })
    sockets.add(client)
    sockets.add(registry)
    // The client's first byte leaves after the handshake's round trip.
    const handshake = options.tcp ? opened + 2 * options.latencyMs : 0
    const pipes = [
      new Pipe(client, registry, up, options.tcp, handshake),
      new Pipe(registry, client, down, options.tcp, 0)
    ]
    const teardown = (): void => {
      for (const pipe of pipes) pipe.close()
      client.destroy()
      registry.destroy()
      sockets.delete(client)
      sockets.delete(registry)
    }
    client.on('error', teardown)
    registry.on('error', teardown)
    client.on('close', teardown)
    registry.on('close', teardown)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the shaping proxy has no port')
  return {
    host: `127.0.0.1:${address.port}`,
    options,
    stats: () => ({ upBytes: up.bytes, downBytes: down.bytes, connections }),
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}
