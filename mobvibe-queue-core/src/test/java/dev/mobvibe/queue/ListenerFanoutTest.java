package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Unit tests of {@link ListenerFanout}: delivery order, isolation and registration handles. */
class ListenerFanoutTest {
  private final ListenerFanout<String> fanout = new ListenerFanout<>("test event");
  private final List<String> received = new ArrayList<>();

  @Test
  void aFailingListenerDoesNotStopTheOthers() {
    fanout.add(e -> received.add("first " + e));
    fanout.add(
        e -> {
          throw new IllegalStateException("boom");
        });
    fanout.add(e -> received.add("third " + e));

    fanout.publish("a");

    assertThat(received).containsExactly("first a", "third a");
  }

  @Test
  void anErrorIsNotSwallowed() {
    fanout.add(
        e -> {
          throw new AssertionError("fatal");
        });

    assertThatThrownBy(() -> fanout.publish("a")).isInstanceOf(AssertionError.class);
  }

  @Test
  void eachRegistrationHasItsOwnIdempotentHandle() {
    Consumer<String> listener = received::add;
    Subscription first = fanout.add(listener);
    Subscription second = fanout.add(listener);

    fanout.publish("a");
    first.unsubscribe();
    first.unsubscribe();
    fanout.publish("b");
    second.close();
    fanout.publish("c");

    assertThat(received).containsExactly("a", "a", "b");
    assertThat(fanout.isEmpty()).isTrue();
  }

  @Test
  void clearRemovesEveryListenerAndOldHandlesStaySafe() {
    Subscription s = fanout.add(received::add);
    fanout.add(received::add);
    assertThat(fanout.isEmpty()).isFalse();

    fanout.clear();
    fanout.publish("a");
    s.unsubscribe();

    assertThat(received).isEmpty();
    assertThat(fanout.isEmpty()).isTrue();
  }

  @Test
  void nullsAreRefusedWithTheirName() {
    assertThatThrownBy(() -> fanout.add(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
    assertThatThrownBy(() -> new ListenerFanout<String>(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("what");
  }
}
