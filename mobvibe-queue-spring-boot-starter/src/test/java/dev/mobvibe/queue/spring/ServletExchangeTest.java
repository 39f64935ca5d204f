package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** The adapter keeps the JDK exchange's contract over a servlet request and response. */
class ServletExchangeTest {

  private static MockHttpServletRequest request(String method, String uri) {
    MockHttpServletRequest request = new MockHttpServletRequest(method, uri);
    request.setRemoteAddr("192.0.2.7");
    request.setRemotePort(40123);
    return request;
  }

  @Test
  void theRequestIsSeenAsTheJdkServerShowsIt() throws IOException {
    MockHttpServletRequest request = request("POST", "/app/dashboard/kinds/pause");
    request.setQueryString("done=a%20b&x=1");
    request.addHeader("Cookie", "a=1");
    request.addHeader("Cookie", "b=2");
    request.addHeader("origin", "http://example.test");
    request.setContent("kind=send_email".getBytes(StandardCharsets.UTF_8));

    ServletExchange exchange = new ServletExchange(request, new MockHttpServletResponse());

    assertThat(exchange.getRequestMethod()).isEqualTo("POST");
    assertThat(exchange.getRequestURI().getRawPath()).isEqualTo("/app/dashboard/kinds/pause");
    assertThat(exchange.getRequestURI().getRawQuery()).isEqualTo("done=a%20b&x=1");
    assertThat(exchange.getRequestHeaders().get("Cookie")).containsExactly("a=1", "b=2");
    assertThat(exchange.getRequestHeaders().getFirst("Origin")).isEqualTo("http://example.test");
    assertThat(exchange.getRequestHeaders().containsKey("X-Forwarded-Proto")).isFalse();
    assertThat(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("kind=send_email");
    assertThat(exchange.getRemoteAddress().getHostString()).isEqualTo("192.0.2.7");
    assertThat(exchange.getRemoteAddress().getPort()).isEqualTo(40123);
    assertThat(exchange.getProtocol()).isEqualTo("HTTP/1.1");
    exchange.setAttribute("k", "v");
    assertThat(exchange.getAttribute("k")).isEqualTo("v");
    assertThat(request.getAttribute("k")).isEqualTo("v");
  }

  @Test
  void aRequestOverTlsSaysSoToTheHandler() {
    MockHttpServletRequest request = request("GET", "/dashboard/");
    request.setSecure(true);

    ServletExchange exchange = new ServletExchange(request, new MockHttpServletResponse());

    assertThat(exchange.getRequestHeaders().getFirst("X-Forwarded-Proto")).isEqualTo("https");
  }

  @Test
  void aBodyOfAGivenLengthIsSentWithItsLengthAndTheHeaders() throws IOException {
    MockHttpServletResponse response = new MockHttpServletResponse();
    ServletExchange exchange = new ServletExchange(request("GET", "/dashboard/"), response);
    exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    exchange.getResponseHeaders().add("Set-Cookie", "a=1; HttpOnly; SameSite=Strict");
    exchange.getResponseHeaders().add("Set-Cookie", "b=2");
    byte[] body = "<p>hi</p>".getBytes(StandardCharsets.UTF_8);

    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
    exchange.close();

    assertThat(exchange.getResponseCode()).isEqualTo(200);
    assertThat(response.getStatus()).isEqualTo(200);
    assertThat(response.getContentLengthLong()).isEqualTo(body.length);
    assertThat(response.getContentType()).isEqualTo("text/html; charset=utf-8");
    assertThat(response.getHeaders("Set-Cookie"))
        .containsExactly("a=1; HttpOnly; SameSite=Strict", "b=2");
    assertThat(response.getContentAsString()).isEqualTo("<p>hi</p>");
  }

  @Test
  void lengthZeroIsABodyOfAnyLength() throws IOException {
    MockHttpServletResponse response = new MockHttpServletResponse();
    ServletExchange exchange = new ServletExchange(request("GET", "/dashboard/"), response);

    exchange.sendResponseHeaders(200, 0);
    exchange.getResponseBody().write("streamed".getBytes(StandardCharsets.UTF_8));
    exchange.close();

    assertThat(response.getHeader("Content-Length")).isNull();
    assertThat(response.getContentAsString()).isEqualTo("streamed");
  }

  @Test
  void lengthMinusOneIsNoBody() throws IOException {
    MockHttpServletResponse response = new MockHttpServletResponse();
    ServletExchange exchange = new ServletExchange(request("POST", "/dashboard/login"), response);
    exchange.getResponseHeaders().set("Location", "/dashboard/");

    exchange.sendResponseHeaders(303, -1);

    assertThat(response.getStatus()).isEqualTo(303);
    assertThat(response.getHeader("Location")).isEqualTo("/dashboard/");
    assertThat(response.getContentLengthLong()).isZero();
    assertThatThrownBy(() -> exchange.getResponseBody().write(1))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no body");
  }

  @Test
  void theHeadersGoOnceAndBeforeTheBody() throws IOException {
    ServletExchange exchange =
        new ServletExchange(request("GET", "/dashboard/"), new MockHttpServletResponse());

    assertThatThrownBy(() -> exchange.getResponseBody().write(1))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("sendResponseHeaders");
    assertThat(exchange.responseHeadersSent()).isFalse();
    assertThat(exchange.getResponseCode()).isEqualTo(-1);

    exchange.sendResponseHeaders(200, 0);

    assertThat(exchange.responseHeadersSent()).isTrue();
    assertThatThrownBy(() -> exchange.sendResponseHeaders(500, -1)).isInstanceOf(IOException.class);
  }

  @Test
  void aHeadRequestHasNoBody() throws IOException {
    MockHttpServletResponse response = new MockHttpServletResponse();
    ServletExchange exchange = new ServletExchange(request("HEAD", "/dashboard/"), response);

    exchange.sendResponseHeaders(200, 10);

    assertThat(response.getHeader("Content-Length")).isNull();
    assertThatThrownBy(() -> exchange.getResponseBody().write(1)).isInstanceOf(IOException.class);
  }
}
