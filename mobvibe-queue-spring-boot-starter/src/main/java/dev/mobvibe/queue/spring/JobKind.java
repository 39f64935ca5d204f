package dev.mobvibe.queue.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the job kind that a handler bean runs. Put it on the class of a {@code JobHandler} or
 * {@code ArgsHandler} bean, or on the {@code @Bean} method that returns one:
 *
 * <pre>{@code
 * @Component
 * @JobKind("send_email")
 * class SendEmailHandler implements ArgsHandler<SendEmail> { ... }
 * }</pre>
 *
 * <p>A {@code JobHandler} bean without it runs the seed's kind, {@code coding_session}. An {@code
 * ArgsHandler} bean needs it; its arguments' class is read from the bean's generic type ({@code
 * ArgsHandler<SendEmail>}, on the class or on the {@code @Bean} method's return type) unless {@link
 * #args()} names it, as a lambda bean whose declared type is raw must.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface JobKind {

  /**
   * The kind: 1 to 100 characters of letters, digits, {@code _ . : -}, as the arguments' {@code
   * JobArgs.kind()} returns it.
   *
   * @return the kind
   */
  String value();

  /**
   * The class an {@code ArgsHandler} bean's arguments are decoded into. Default {@code Void.class}:
   * read it from the bean's generic type. Ignored on a {@code JobHandler} bean.
   *
   * @return the arguments' class, or {@code Void.class}
   */
  Class<?> args() default Void.class;
}
