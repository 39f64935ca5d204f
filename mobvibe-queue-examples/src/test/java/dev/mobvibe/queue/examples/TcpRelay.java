package dev.mobvibe.queue.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP relay on 127.0.0.1 to a server, which a test can cut (open connections drop, new ones are
 * closed at once) and restore: a database that goes away and comes back.
 */
final class TcpRelay implements AutoCloseable {
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "tcp-relay");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean up = true;

  TcpRelay(String host, int port) throws IOException {
    this.target = new InetSocketAddress(host, port);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  /** The relay's port on 127.0.0.1. */
  int port() {
    return server.getLocalPort();
  }

  /** Drops every open connection and closes new ones at once, until {@link #restore()}. */
  void cut() {
    up = false;
    for (Socket s : open) {
      quietlyClose(s);
    }
  }

  /** Relays new connections again. */
  void restore() {
    up = true;
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (!up) {
        quietlyClose(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5_000);
      } catch (IOException e) {
        quietlyClose(client);
        quietlyClose(upstream);
        continue;
      }
      open.add(client);
      open.add(upstream);
      if (!up) { // cut while this one was being connected
        quietlyClose(client);
        quietlyClose(upstream);
        continue;
      }
      threads.execute(() -> pump(client, upstream));
      threads.execute(() -> pump(upstream, client));
    }
  }

  private void pump(Socket from, Socket to) {
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      byte[] buffer = new byte[16 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // one side closed: close both
    } finally {
      quietlyClose(from);
      quietlyClose(to);
    }
  }

  private void quietlyClose(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    cut();
    threads.shutdownNow();
  }
}
