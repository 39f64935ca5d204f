package dev.mobvibe.queue.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Dashboard#handler(String)}: the handler serves under the path it was given whatever
 * context the server puts it in (as behind a servlet container, which hands over every request of
 * its mapping), and refuses a malformed path.
 */
class DashboardHandlerPathTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  static final String TOKEN = "test-token-0123456789abcdef";

  @Test
  void aHandlerServesUnderItsPathFromAServersRootContext() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    Dashboard dashboard = Dashboard.builder(mvq.queue()).token(TOKEN).build();
    server.createContext("/", dashboard.handler("/app/ops"));
    server.start();
    try {
      HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
      String root = "http://127.0.0.1:" + server.getAddress().getPort() + "/app/ops";

      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(URI.create(root + "/"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> anonymous =
          http.send(
              HttpRequest.newBuilder(URI.create(root + "/jobs?status=failed")).build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("src=\"/app/ops/assets/dashboard.js\"");
      assertThat(anonymous.statusCode()).isEqualTo(303);
      assertThat(anonymous.headers().firstValue("Location")).hasValue("/app/ops/login");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aMalformedPathIsRefused() {
    Dashboard dashboard = Dashboard.builder(mvq.queue()).token(TOKEN).build();
    for (String path : new String[] {"dashboard", "/dashboard/", "/a b", ""}) {
      assertThatThrownBy(() -> dashboard.handler(path))
          .as(path)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("path");
    }
    assertThatThrownBy(() -> dashboard.handler(null)).isInstanceOf(NullPointerException.class);
  }
}
