package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class TimeOrderedIdsTest {

  @Test
  void idsAreVersion7WithTheCurrentTime() {
    long before = System.currentTimeMillis();
    UUID id = TimeOrderedIds.next();
    long after = System.currentTimeMillis();

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2); // RFC 9562
    assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after + 1);
  }

  @Test
  void idsIncreaseInTheOrderTheyAreMadeEvenWithinOneMillisecond() {
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      ids.add(TimeOrderedIds.next());
    }
    for (int i = 1; i < ids.size(); i++) {
      // PostgreSQL orders uuids by their bytes, unsigned: compare the same way.
      assertThat(
              Long.compareUnsigned(
                  ids.get(i).getMostSignificantBits(), ids.get(i - 1).getMostSignificantBits()))
          .as("id %d follows id %d", i, i - 1)
          .isPositive();
    }
  }

  @Test
  void threadsNeverGetTheSameId() throws InterruptedException {
    ConcurrentLinkedQueue<UUID> all = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  all.add(TimeOrderedIds.next());
                }
              });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    Set<Long> stamps = new HashSet<>();
    for (UUID id : all) {
      stamps.add(id.getMostSignificantBits());
    }
    assertThat(stamps).hasSize(40_000);
  }
}
