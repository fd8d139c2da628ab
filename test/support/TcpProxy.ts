/**
 * A loopback TCP proxy a test can cut: every connection through it ends at once and new ones are
 * refused, as when a database server or the network to it goes away, until it is restored on the
 * same port. The server behind it keeps running, for the other tests that use it directly.
 */
import * as Net from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Ends every connection through the proxy and refuses new ones. */
  readonly cut: () => Promise<void>
  /** Accepts connections again, on the same port. */
  readonly restore: () => Promise<void>
  readonly close: () => Promise<void>
}

const listen = (server: Net.Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve((server.address() as Net.AddressInfo).port)
    })
  })

export const start = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  const sockets = new Set<Net.Socket>()
  const track = (socket: Net.Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  }
  const makeServer = () =>
    Net.createServer((client) => {
      const upstream = Net.connect(target.port, target.host)
      track(client)
      track(upstream)
      const end = () => {
        client.destroy()
        upstream.destroy()
      }
      client.once("error", end)
      upstream.once("error", end)
      client.once("close", end)
      upstream.once("close", end)
      client.pipe(upstream)
      upstream.pipe(client)
    })
  let server: Net.Server | undefined = makeServer()
  const port = await listen(server, 0)
  const cut = async () => {
    const closing = server
    server = undefined
    for (const socket of sockets) socket.resetAndDestroy()
    if (closing !== undefined) await new Promise<void>((resolve) => closing.close(() => resolve()))
  }
  return {
    port,
    cut,
    restore: async () => {
      if (server !== undefined) return
      server = makeServer()
      await listen(server, port)
    },
    close: cut
  }
}
