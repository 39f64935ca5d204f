package dev.mobvibe.queue.spring;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One servlet request and its response seen as a {@code com.sun.net.httpserver} exchange, so that
 * an {@link com.sun.net.httpserver.HttpHandler} written for the JDK's server (the dashboard) runs
 * in a servlet container.
 *
 * <p>As the JDK's server gives them: the request URI is the raw path the client sent with its raw
 * query; {@link #sendResponseHeaders} sends the status and the response headers once, and its
 * length says what follows: {@code -1} no body ({@code Content-Length: 0}), {@code 0} a body of any
 * length (chunked), a positive number a body of that many bytes ({@code Content-Length}). A status
 * of 204 or 304, or a HEAD request, has no body. Writing the body before the headers, or when there
 * is no body, fails with an {@link IOException}. The addresses are unresolved (the container's
 * literal addresses, no name lookup). There is no {@link HttpContext} and no {@link HttpPrincipal}.
 *
 * <p>A request over TLS (as the container says, {@code isSecure()}) carries {@code
 * X-Forwarded-Proto: https} unless it already has that header: the dashboard marks its cookie
 * {@code Secure} for an HTTPS exchange of the JDK's server or that header, and a servlet request is
 * neither. Not thread-safe: one exchange belongs to the thread serving its request.
 */
final class ServletExchange extends HttpExchange {
  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final Headers requestHeaders = new Headers();
  private final Headers responseHeaders = new Headers();
  private final URI uri;
  private InputStream in;
  private OutputStream out;
  private int responseCode = -1;
  private boolean hasBody;

  /**
   * Wraps a request and its response.
   *
   * @throws IllegalArgumentException if the request's URI is not a valid URI
   */
  ServletExchange(HttpServletRequest request, HttpServletResponse response) {
    this.request = Objects.requireNonNull(request, "request");
    this.response = Objects.requireNonNull(response, "response");
    for (String name : Collections.list(request.getHeaderNames())) {
      for (String value : Collections.list(request.getHeaders(name))) {
        requestHeaders.add(name, value);
      }
    }
    if (request.isSecure() && !requestHeaders.containsKey("X-Forwarded-Proto")) {
      requestHeaders.set("X-Forwarded-Proto", "https");
    }
    String query = request.getQueryString();
    this.uri = URI.create(request.getRequestURI() + (query == null ? "" : "?" + query));
  }

  @Override
  public Headers getRequestHeaders() {
    return requestHeaders;
  }

  @Override
  public Headers getResponseHeaders() {
    return responseHeaders;
  }

  @Override
  public URI getRequestURI() {
    return uri;
  }

  @Override
  public String getRequestMethod() {
    return request.getMethod();
  }

  @Override
  public HttpContext getHttpContext() {
    throw new UnsupportedOperationException("a servlet request has no HttpServer context");
  }

  @Override
  public void close() {
    try {
      if (in != null) {
        in.close();
      }
      if (out != null) {
        out.close();
      }
    } catch (IOException e) {
      // The client went away; the container ends the response either way, as the JDK's server
      // ignores the same failure when it closes an exchange.
    }
  }

  @Override
  public InputStream getRequestBody() {
    if (in == null) {
      try {
        in = request.getInputStream();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return in;
  }

  @Override
  public OutputStream getResponseBody() {
    if (out == null) {
      out = new Body();
    }
    return out;
  }

  @Override
  public void sendResponseHeaders(int code, long length) throws IOException {
    if (responseCode != -1) {
      throw new IOException("the response headers were sent already");
    }
    responseCode = code;
    response.setStatus(code);
    for (Map.Entry<String, List<String>> header : responseHeaders.entrySet()) {
      boolean first = true;
      for (String value : header.getValue()) {
        // set, then add: what the handler says replaces what a filter may have set before.
        if (first) {
          response.setHeader(header.getKey(), value);
          first = false;
        } else {
          response.addHeader(header.getKey(), value);
        }
      }
    }
    boolean bodyAllowed = code != 204 && code != 304 && !"HEAD".equals(request.getMethod());
    hasBody = bodyAllowed && length >= 0;
    if (bodyAllowed && length > 0) {
      response.setContentLengthLong(length);
    } else if (bodyAllowed && length < 0) {
      response.setContentLengthLong(0);
    }
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return InetSocketAddress.createUnresolved(request.getRemoteAddr(), request.getRemotePort());
  }

  @Override
  public int getResponseCode() {
    return responseCode;
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return InetSocketAddress.createUnresolved(request.getLocalAddr(), request.getLocalPort());
  }

  @Override
  public String getProtocol() {
    return request.getProtocol();
  }

  @Override
  public Object getAttribute(String name) {
    return request.getAttribute(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    request.setAttribute(name, value);
  }

  @Override
  public void setStreams(InputStream i, OutputStream o) {
    if (i != null) {
      in = i;
    }
    if (o != null) {
      out = o;
    }
  }

  @Override
  public HttpPrincipal getPrincipal() {
    return null;
  }

  /** Whether {@link #sendResponseHeaders} was called. */
  boolean responseHeadersSent() {
    return responseCode != -1;
  }

  /** The response body: the servlet's output stream once the headers allow a body. */
  private final class Body extends OutputStream {
    private OutputStream target() throws IOException {
      if (responseCode == -1) {
        throw new IOException("sendResponseHeaders must be called before the body is written");
      }
      if (!hasBody) {
        throw new IOException("this response has no body");
      }
      return response.getOutputStream();
    }

    @Override
    public void write(int b) throws IOException {
      target().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      target().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (responseCode != -1 && hasBody) {
        response.getOutputStream().flush();
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
