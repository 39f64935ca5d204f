package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.EnqueueInterceptor;
import dev.mobvibe.queue.JobInterceptor;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobProcessorBuilder;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.QueueReport;
import dev.mobvibe.queue.dashboard.Dashboard;
import dev.mobvibe.queue.micrometer.QueueMetrics;
import dev.mobvibe.queue.realtime.PgNotifier;
import dev.mobvibe.queue.realtime.SupabaseRealtimeNotifier;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServlet;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of MobVibe Queue, active when the application has a {@code DataSource} bean
 * and {@code mobvibe.queue.enabled} is not {@code false}. Every bean backs off when the application
 * defines one of the same type.
 *
 * <ul>
 *   <li>{@link JobQueue} on the application's {@code DataSource} (no second pool), with every
 *       {@link EnqueueInterceptor} bean; the schema is migrated when it is built unless {@code
 *       mobvibe.queue.migrate=false}. An application's own {@code JobQueue} bean is not migrated by
 *       the starter.
 *   <li>{@link JobEnqueuer}: enqueue inside Spring transactions.
 *   <li>{@link JobProcessor}, when there is at least one handler bean (or a {@link
 *       JobProcessorCustomizer}) and {@code mobvibe.queue.processor.enabled} is not {@code false}:
 *       every handler bean by kind ({@link JobKind}), every {@link JobListener} and {@link
 *       JobInterceptor} bean, the {@link JobNotifier} bean if there is exactly one.
 *   <li>{@link QueueMonitor} unless {@code mobvibe.queue.monitor.enabled=false}, and {@link
 *       MobVibeQueueLifecycle}, which starts and stops the monitor and the processor.
 *   <li>{@link QueueHealthIndicator} when {@code spring-boot-health} is present.
 *   <li>{@link QueueMetrics} when {@code mobvibe-queue-micrometer} is present and there is a {@code
 *       MeterRegistry} bean.
 *   <li>{@code PgNotifier} or {@code SupabaseRealtimeNotifier} when {@code mobvibe-queue-realtime}
 *       is present and {@code mobvibe.queue.realtime.notifier} is {@code pg} or {@code supabase}.
 *   <li>{@link Dashboard} and a servlet that serves it at {@code mobvibe.queue.dashboard.path} when
 *       {@code mobvibe-queue-dashboard} is present, the application is a servlet web application
 *       and {@code mobvibe.queue.dashboard.enabled=true}; {@code mobvibe.queue.dashboard.token} is
 *       then required.
 * </ul>
 */
@AutoConfiguration(
    after = {
      DataSourceAutoConfiguration.class,
      DataSourceTransactionManagerAutoConfiguration.class
    },
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(JobQueue.class)
@ConditionalOnBean(DataSource.class)
@ConditionalOnBooleanProperty(name = "mobvibe.queue.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MobVibeQueueProperties.class)
public final class MobVibeQueueAutoConfiguration {
  private static final Logger log = LoggerFactory.getLogger(MobVibeQueueAutoConfiguration.class);

  /** Created by Spring. */
  MobVibeQueueAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  JobQueue mobVibeJobQueue(
      DataSource dataSource,
      MobVibeQueueProperties properties,
      ObjectProvider<EnqueueInterceptor> interceptors) {
    JobQueue.Builder builder =
        JobQueue.builder()
            .dataSource(dataSource)
            .schema(properties.getSchema())
            .pollInterval(properties.getPollInterval())
            .statementTimeout(properties.getStatementTimeout());
    interceptors.orderedStream().forEach(builder::enqueueInterceptor);
    JobQueue queue = builder.build();
    if (properties.isMigrate()) {
      try {
        queue.migrate();
      } catch (RuntimeException e) {
        queue.close();
        throw e;
      }
    }
    return queue;
  }

  @Bean
  @ConditionalOnMissingBean
  JobEnqueuer mobVibeJobEnqueuer(JobQueue queue) {
    return new JobEnqueuer(queue);
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty(name = "mobvibe.queue.monitor.enabled", matchIfMissing = true)
  QueueMonitor mobVibeQueueMonitor(JobQueue queue, ObjectProvider<ReportSink> sinks) {
    return QueueMonitor.builder(queue)
        .onReport(report -> sinks.orderedStream().forEach(sink -> sink.accept(report)))
        .build();
  }

  @Bean
  @ConditionalOnMissingBean
  MobVibeQueueLifecycle mobVibeQueueLifecycle(
      ObjectProvider<JobProcessor> processor,
      ObjectProvider<QueueMonitor> monitor,
      MobVibeQueueProperties properties) {
    return new MobVibeQueueLifecycle(
        processor.getIfUnique(), monitor.getIfUnique(), properties.getMonitor().getInterval());
  }

  /** Receives each monitor reading; package-private: how the optional parts get the readings. */
  interface ReportSink extends Consumer<QueueReport> {}

  /** The processor, when it is enabled and has something to run. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "mobvibe.queue.processor.enabled", matchIfMissing = true)
  @Conditional(HasHandlers.class)
  static class ProcessorConfiguration {

    @Bean
    @ConditionalOnMissingBean
    JobProcessor mobVibeJobProcessor(
        JobQueue queue,
        MobVibeQueueProperties properties,
        ConfigurableListableBeanFactory beans,
        ObjectProvider<JobListener> listeners,
        ObjectProvider<JobInterceptor> interceptors,
        ObjectProvider<JobNotifier> notifier,
        ObjectProvider<JobProcessorCustomizer> customizers) {
      MobVibeQueueProperties.Processor p = properties.getProcessor();
      JobProcessorBuilder builder =
          JobProcessor.builder(queue)
              .concurrency(p.getConcurrency())
              .pollInterval(properties.getPollInterval())
              .shutdownTimeout(p.getShutdownTimeout())
              .leaseDuration(p.getLeaseDuration())
              .workerId(p.getWorkerId())
              .notifier(notifier.getIfUnique());
      if (p.getReapGrace() != null) {
        builder.reapGrace(p.getReapGrace());
      }
      if (p.getJobTimeout() == null || p.getJobTimeout().isZero()) {
        builder.noJobTimeout();
      } else {
        builder.jobTimeout(p.getJobTimeout());
      }
      listeners.orderedStream().forEach(builder::listener);
      interceptors.orderedStream().forEach(builder::interceptor);
      int handlers = HandlerBeans.register(beans, builder);
      customizers.orderedStream().forEach(c -> c.customize(builder));
      JobProcessor processor = builder.build();
      log.info(
          "MobVibe Queue processor for kinds {} ({} handler beans)", processor.kinds(), handlers);
      return processor;
    }
  }

  /** Matches when the context has a handler bean or a processor customizer. */
  static final class HasHandlers extends AnyNestedCondition {
    HasHandlers() {
      super(ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnBean(dev.mobvibe.queue.JobHandler.class)
    static final class JobHandlerBean {}

    @ConditionalOnBean(dev.mobvibe.queue.ArgsHandler.class)
    static final class ArgsHandlerBean {}

    @ConditionalOnBean(JobProcessorCustomizer.class)
    static final class CustomizerBean {}
  }

  /** The Actuator health indicator. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  @ConditionalOnEnabledHealthIndicator("mobvibequeue")
  static class HealthConfiguration {

    // Providers, not conditions: member classes are read before the enclosing class's beans.
    @Bean
    @ConditionalOnMissingBean
    QueueHealthIndicator mobVibeQueueHealthIndicator(
        ObjectProvider<QueueMonitor> monitor,
        ObjectProvider<JobProcessor> processor,
        MobVibeQueueProperties properties) {
      return new QueueHealthIndicator(
          monitor.getIfUnique(), processor.getIfUnique(), properties.getMonitor().getInterval());
    }
  }

  /** The Micrometer binder: a listener of the processor and a sink of the monitor. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({QueueMetrics.class, MeterRegistry.class})
  @ConditionalOnBean(MeterRegistry.class)
  static class MetricsConfiguration {

    @Bean
    @ConditionalOnMissingBean
    QueueMetrics mobVibeQueueMetrics(MeterRegistry registry) {
      return new QueueMetrics(registry);
    }

    @Bean
    ReportSink mobVibeQueueMetricsSink(QueueMetrics metrics) {
      return metrics::update;
    }

    @Bean
    SmartInitializingSingleton mobVibeQueueMetricsBinder(
        QueueMetrics metrics,
        ObjectProvider<JobProcessor> processor,
        ObjectProvider<JobNotifier> notifier) {
      return () -> {
        processor.ifUnique(metrics::bindProcessor);
        notifier.ifUnique(metrics::bindNotifier);
      };
    }
  }

  /** A notifier of mobvibe-queue-realtime, chosen by {@code mobvibe.queue.realtime.notifier}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(PgNotifier.class)
  static class RealtimeConfiguration {

    @Bean
    @ConditionalOnMissingBean(JobNotifier.class)
    @ConditionalOnProperty(name = "mobvibe.queue.realtime.notifier", havingValue = "pg")
    PgNotifier mobVibePgNotifier(
        MobVibeQueueProperties properties, ObjectProvider<DataSourceProperties> dataSource) {
      MobVibeQueueProperties.Realtime r = properties.getRealtime();
      DataSourceProperties ds = dataSource.getIfAvailable();
      String url = r.getPgUrl() != null ? r.getPgUrl() : ds != null ? ds.determineUrl() : null;
      if (url == null) {
        throw new IllegalStateException(
            "mobvibe.queue.realtime.notifier=pg needs mobvibe.queue.realtime.pg-url or"
                + " spring.datasource.url");
      }
      String user = r.getPgUsername();
      String password = r.getPgPassword();
      if (r.getPgUrl() == null && ds != null) {
        user = user != null ? user : ds.determineUsername();
        password = password != null ? password : ds.determinePassword();
      }
      return PgNotifier.builder().jdbcUrl(url).username(user).password(password).build();
    }

    @Bean
    @ConditionalOnMissingBean(JobNotifier.class)
    @ConditionalOnProperty(name = "mobvibe.queue.realtime.notifier", havingValue = "supabase")
    SupabaseRealtimeNotifier mobVibeSupabaseNotifier(MobVibeQueueProperties properties) {
      MobVibeQueueProperties.Realtime r = properties.getRealtime();
      return SupabaseRealtimeNotifier.builder()
          .supabaseUrl(r.getSupabaseUrl())
          .apiKey(r.getSupabaseServiceRoleKey())
          .schema(properties.getSchema())
          .build();
    }
  }

  /**
   * The dashboard, served by the application's servlet container. It is made while the embedded web
   * server starts, before the other singletons, like every servlet registration.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({Dashboard.class, HttpServlet.class})
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnBooleanProperty(name = "mobvibe.queue.dashboard.enabled")
  static class DashboardConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Dashboard mobVibeDashboard(
        JobQueue queue, MobVibeQueueProperties properties, ObjectProvider<JobProcessor> processor) {
      MobVibeQueueProperties.Dashboard d = properties.getDashboard();
      String token = d.getToken();
      if (token == null || token.isBlank()) {
        throw new IllegalStateException(
            "mobvibe.queue.dashboard.enabled=true needs mobvibe.queue.dashboard.token, a secret of"
                + " at least "
                + Dashboard.MIN_TOKEN_LENGTH
                + " characters (openssl rand -base64 32 makes one)");
      }
      if (token.length() < Dashboard.MIN_TOKEN_LENGTH
          || token.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalStateException(
            "mobvibe.queue.dashboard.token must be at least "
                + Dashboard.MIN_TOKEN_LENGTH
                + " characters without whitespace (value not shown)");
      }
      Dashboard.Builder builder =
          Dashboard.builder(queue)
              .token(token)
              .refreshInterval(d.getRefreshInterval())
              // Asked per overview request, so the processor need not exist yet: the servlet, and
              // so this bean, is made when the web server starts.
              .notifierState(
                  () -> {
                    JobProcessor p = processor.getIfUnique();
                    return p == null ? null : p.notifier().map(JobNotifier::state).orElse(null);
                  });
      try {
        return builder.build();
      } catch (IllegalArgumentException | NullPointerException e) {
        // The token passed the checks above: the builder refused the refresh interval.
        throw new IllegalStateException(
            "mobvibe.queue.dashboard.refresh-interval: " + e.getMessage(), e);
      }
    }

    @Bean
    @ConditionalOnMissingBean(name = "mobVibeDashboardServlet")
    ServletRegistrationBean<DashboardServlet> mobVibeDashboardServlet(
        Dashboard dashboard, MobVibeQueueProperties properties) {
      String path = properties.getDashboard().getPath();
      if ("/".equals(path)) {
        throw new IllegalStateException(
            "mobvibe.queue.dashboard.path must not be /: the application's own servlet serves the"
                + " root; use a path such as /dashboard");
      }
      try {
        // Checks the path now, so a wrong one stops the start-up; the servlet makes its own
        // handler under the context path when the container initializes it.
        dashboard.handler(path);
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new IllegalStateException("mobvibe.queue.dashboard.path: " + e.getMessage(), e);
      }
      ServletRegistrationBean<DashboardServlet> registration =
          new ServletRegistrationBean<>(new DashboardServlet(dashboard, path), path + "/*");
      registration.setName("mobVibeDashboard");
      registration.setLoadOnStartup(1);
      log.info("MobVibe Queue dashboard at {} (below the servlet context path)", path);
      return registration;
    }
  }
}
