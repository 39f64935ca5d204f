package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.JobNotifier;
import java.util.UUID;

class SupabaseNotifierContractTest extends JobNotifierContract {
  private FakeRealtimeServer server;

  @Override
  protected JobNotifier createNotifier() throws Exception {
    if (server == null) {
      server = new FakeRealtimeServer();
    }
    return SupabaseRealtimeNotifier.builder()
        .supabaseUrl(server.url())
        .apiKey("contract-key")
        .timer(new ManualTimer())
        .build();
  }

  @Override
  protected UUID announceJob(JobNotifier notifier) {
    FakeRealtimeServer.Conn conn = server.latest();
    UUID id = UUID.randomUUID();
    String topic = "realtime:new_jobs";
    conn.change(
        topic,
        "INSERT",
        FakeRealtimeServer.jobRecord(id.toString(), UUID.randomUUID().toString(), 5),
        conn.firstBindingId(topic));
    return id;
  }

  @Override
  protected void cleanUp() throws Exception {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
