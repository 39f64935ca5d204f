package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.dashboard.Dashboard;
import dev.mobvibe.queue.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The dashboard's conditions and checks, without a web server: it is off unless enabled, needs a
 * servlet web application and the dashboard module, and an enabled dashboard without a good token
 * or path stops the start-up with the property's name. Serving requests: {@link
 * DashboardServletTest}.
 */
class DashboardAutoConfigurationTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final String TOKEN = "spring-dashboard-token-0123456789";

  private final WebApplicationContextRunner web =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class, MobVibeQueueAutoConfiguration.class))
          .withPropertyValues(datasourceProperties());

  private static String[] datasourceProperties() {
    List<String> p = new ArrayList<>();
    p.add("spring.datasource.url=" + db.jdbcUrl());
    if (db.user() != null) {
      p.add("spring.datasource.username=" + db.user());
    }
    if (db.password() != null) {
      p.add("spring.datasource.password=" + db.password());
    }
    p.add("mobvibe.queue.monitor.enabled=false");
    return p.toArray(String[]::new);
  }

  @Test
  void noDashboardUnlessEnabled() {
    web.withPropertyValues("mobvibe.queue.dashboard.token=" + TOKEN)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(JobQueue.class);
              assertThat(context).doesNotHaveBean(Dashboard.class);
              assertThat(context).doesNotHaveBean(ServletRegistrationBean.class);
            });
  }

  @Test
  void enabledServesTheDashboardAtTheDefaultPath() {
    web.withPropertyValues(
            "mobvibe.queue.dashboard.enabled=true", "mobvibe.queue.dashboard.token=" + TOKEN)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(Dashboard.class);
              ServletRegistrationBean<?> registration =
                  context.getBean("mobVibeDashboardServlet", ServletRegistrationBean.class);
              assertThat(registration.getUrlMappings()).containsExactly("/dashboard/*");
              assertThat(registration.getServlet()).isInstanceOf(DashboardServlet.class);
            });
  }

  @Test
  void noDashboardOutsideAServletWebApplication() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class, MobVibeQueueAutoConfiguration.class))
        .withPropertyValues(datasourceProperties())
        .withPropertyValues(
            "mobvibe.queue.dashboard.enabled=true", "mobvibe.queue.dashboard.token=" + TOKEN)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(JobQueue.class);
              assertThat(context).doesNotHaveBean(Dashboard.class);
            });
  }

  @Test
  void noDashboardWhenTheModuleIsAbsent() {
    web.withClassLoader(new FilteredClassLoader(Dashboard.class))
        .withPropertyValues(
            "mobvibe.queue.dashboard.enabled=true", "mobvibe.queue.dashboard.token=" + TOKEN)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(JobQueue.class);
              assertThat(context).doesNotHaveBean(ServletRegistrationBean.class);
            });
  }

  @Test
  void enabledWithoutATokenStopsTheStartUpNamingTheProperty() {
    web.withPropertyValues("mobvibe.queue.dashboard.enabled=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("mobvibe.queue.dashboard.token")
                    .hasMessageContaining(String.valueOf(Dashboard.MIN_TOKEN_LENGTH)));
  }

  @Test
  void aShortTokenStopsTheStartUpWithoutShowingIt() {
    web.withPropertyValues(
            "mobvibe.queue.dashboard.enabled=true", "mobvibe.queue.dashboard.token=short-secret")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("mobvibe.queue.dashboard.token")
                    .hasMessageNotContaining("short-secret"));
  }

  @Test
  void aMalformedPathOrTheRootStopsTheStartUpNamingTheProperty() {
    for (String path : new String[] {"dashboard/", "/"}) {
      web.withPropertyValues(
              "mobvibe.queue.dashboard.enabled=true",
              "mobvibe.queue.dashboard.token=" + TOKEN,
              "mobvibe.queue.dashboard.path=" + path)
          .run(
              context ->
                  assertThat(context)
                      .getFailure()
                      .as(path)
                      // The cause is the dashboard's own message, which names no property.
                      .hasStackTraceContaining(
                          "IllegalStateException: mobvibe.queue.dashboard.path"));
    }
  }

  @Test
  void aRefreshIntervalOutOfRangeStopsTheStartUpNamingTheProperty() {
    web.withPropertyValues(
            "mobvibe.queue.dashboard.enabled=true",
            "mobvibe.queue.dashboard.token=" + TOKEN,
            "mobvibe.queue.dashboard.refresh-interval=100ms")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "IllegalStateException: mobvibe.queue.dashboard.refresh-interval"));
  }

  /** An application's own dashboard, built with options the properties do not have. */
  @Configuration(proxyBeanMethods = false)
  static class OwnDashboard {
    @Bean
    Dashboard ownDashboard(JobQueue queue) {
      return Dashboard.builder(queue)
          .token(TOKEN)
          .sessionLifetime(java.time.Duration.ofHours(1))
          .build();
    }
  }

  @Test
  void theApplicationsOwnDashboardIsServedWithoutTheTokenProperty() {
    web.withUserConfiguration(OwnDashboard.class)
        .withPropertyValues("mobvibe.queue.dashboard.enabled=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context)
                  .getBean(Dashboard.class)
                  .isSameAs(context.getBean("ownDashboard"));
              assertThat(context).hasBean("mobVibeDashboardServlet");
            });
  }
}
