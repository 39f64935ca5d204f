package dev.mobvibe.queue.examples.bench;

import dev.mobvibe.queue.NewJob;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws the drain throughput and pickup latency of a {@link BenchResult} as a PNG, headless. */
final class BenchChart {
  private static final int WIDTH = 960;
  private static final int HEIGHT = 420;

  private BenchChart() {}

  /**
   * Writes the chart.
   *
   * @param result the results
   * @param file the PNG to write
   * @throws IOException if the file cannot be written
   */
  static void write(BenchResult result, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);

    List<Bar> drain = new ArrayList<>();
    for (BenchResult.Drain d : result.drains()) {
      String k = d.kind().equals(NewJob.CODING_SESSION_KIND) ? "" : "k";
      drain.add(new Bar("B1" + k + " c" + d.concurrency(), d.median(), false));
    }
    drain.add(new Bar("L bare SQL", result.limit(), true));
    panel(g, 20, "Drain throughput (jobs/s)", drain, "%.0f", new Color(0x3B82F6));

    if (result.pickup() != null) {
      BenchResult.Pickup p = result.pickup();
      List<Bar> pickup =
          List.of(
              new Bar("p50", p.p50Millis(), false),
              new Bar("p95", p.p95Millis(), false),
              new Bar("p99", p.p99Millis(), false),
              new Bar("max", p.maxMillis(), false),
              new Bar("NOTIFY p50", p.notifyFloorP50Millis(), true));
      panel(g, WIDTH / 2 + 10, "Pickup latency (ms)", pickup, "%.2f", new Color(0x10B981));
    }
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }

  private static void panel(
      Graphics2D g, int left, String title, List<Bar> bars, String format, Color color) {
    int width = WIDTH / 2 - 40;
    int top = 50;
    int bottom = HEIGHT - 50;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(title, left + 10, 30);
    double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
    if (max <= 0) {
      max = 1;
    }
    int slot = width / Math.max(1, bars.size());
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    for (int i = 0; i < bars.size(); i++) {
      Bar bar = bars.get(i);
      int barHeight = (int) ((bottom - top - 20) * bar.value() / max);
      int x = left + 10 + i * slot + slot / 6;
      int barWidth = slot * 2 / 3;
      g.setColor(bar.reference() ? Color.GRAY : color);
      g.fillRect(x, bottom - barHeight, barWidth, barHeight);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, format, bar.value()), x, bottom - barHeight - 5);
      g.drawString(bar.label(), x, bottom + 18);
    }
    g.setStroke(new BasicStroke(1));
    g.drawLine(left + 5, bottom, left + width, bottom);
  }

  /** One bar; reference bars (the bare-SQL limit, the bare NOTIFY floor) are grey. */
  private record Bar(String label, double value, boolean reference) {}
}
