package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobProcessorBuilder;
import dev.mobvibe.queue.NewJob;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;

/** Registers the context's {@code JobHandler} and {@code ArgsHandler} beans by kind. */
final class HandlerBeans {
  private HandlerBeans() {}

  /**
   * Registers every handler bean on the builder.
   *
   * @return how many were registered
   * @throws IllegalStateException if an {@code ArgsHandler} bean has no kind or no arguments class
   */
  static int register(ConfigurableListableBeanFactory beans, JobProcessorBuilder builder) {
    int count = 0;
    for (String name : beans.getBeanNamesForType(JobHandler.class)) {
      JobKind kind = beans.findAnnotationOnBean(name, JobKind.class);
      builder.handler(
          kind != null ? kind.value() : NewJob.CODING_SESSION_KIND,
          beans.getBean(name, JobHandler.class));
      count++;
    }
    for (String name : beans.getBeanNamesForType(ArgsHandler.class)) {
      JobKind kind = beans.findAnnotationOnBean(name, JobKind.class);
      if (kind == null) {
        throw new IllegalStateException(
            "ArgsHandler bean '"
                + name
                + "' needs @JobKind(\"<kind>\") on its class or @Bean method: the kind cannot be"
                + " told from the bean");
      }
      ArgsHandler<?> handler = beans.getBean(name, ArgsHandler.class);
      registerTyped(builder, kind.value(), argsType(beans, name, kind, handler), handler);
      count++;
    }
    return count;
  }

  @SuppressWarnings("unchecked") // the class was read from the handler's own type argument
  private static <A> void registerTyped(
      JobProcessorBuilder builder, String kind, Class<A> argsType, ArgsHandler<?> handler) {
    builder.handler(kind, argsType, (ArgsHandler<A>) handler);
  }

  /** The annotation's class, else the type argument of the bean definition, else the bean's. */
  static Class<?> argsType(
      ConfigurableListableBeanFactory beans, String name, JobKind kind, ArgsHandler<?> handler) {
    if (kind.args() != Void.class) {
      return kind.args();
    }
    Class<?> type = null;
    if (beans.containsBeanDefinition(name)) {
      BeanDefinition definition = beans.getMergedBeanDefinition(name);
      type = definition.getResolvableType().as(ArgsHandler.class).resolveGeneric(0);
    }
    if (type == null) {
      type = ResolvableType.forClass(handler.getClass()).as(ArgsHandler.class).resolveGeneric(0);
    }
    if (type == null) {
      throw new IllegalStateException(
          "cannot tell the arguments' class of ArgsHandler bean '"
              + name
              + "' (kind "
              + kind.value()
              + "): declare it as ArgsHandler<YourArgs> or write @JobKind(value = \""
              + kind.value()
              + "\", args = YourArgs.class)");
    }
    return type;
  }
}
