package dev.mobvibe.queue.spring;

import com.sun.net.httpserver.HttpHandler;
import dev.mobvibe.queue.dashboard.Dashboard;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Serves a {@link Dashboard} in the application's servlet container, mapped to {@code path/*}: each
 * request goes to the dashboard's handler through a {@link ServletExchange}. The handler is made
 * when the container initializes the servlet, under the servlet context path followed by {@code
 * path}, since the dashboard's links, redirects and cookie carry the full path. Thread-safe.
 */
final class DashboardServlet extends HttpServlet {
  private final Dashboard dashboard;
  private final String path;
  private volatile String base;
  private volatile HttpHandler handler;

  /**
   * Creates the servlet of a dashboard.
   *
   * @param path the mapping's path below the context path, checked by the dashboard already
   */
  DashboardServlet(Dashboard dashboard, String path) {
    this.dashboard = dashboard;
    this.path = path;
  }

  @Override
  public void init() throws ServletException {
    String full = getServletContext().getContextPath() + path;
    try {
      handler = dashboard.handler(full);
    } catch (IllegalArgumentException e) {
      throw new ServletException(
          "the dashboard cannot be served at " + full + ": " + e.getMessage(), e);
    }
    base = full;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String uri = request.getRequestURI();
    // The container maps a normalized path, the dashboard reads the raw one: answer only when the
    // raw path is under the dashboard too, since the handler routes on what follows the base.
    if (!uri.equals(base) && !uri.startsWith(base + "/")) {
      response.sendError(HttpServletResponse.SC_NOT_FOUND);
      return;
    }
    ServletExchange exchange;
    try {
      exchange = new ServletExchange(request, response);
    } catch (IllegalArgumentException e) {
      response.sendError(HttpServletResponse.SC_BAD_REQUEST);
      return;
    }
    handler.handle(exchange);
    if (!exchange.responseHeadersSent() && !response.isCommitted()) {
      response.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
    }
  }
}
