package dev.mobvibe.queue.dashboard;

import java.io.File;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A headless Chromium driven through the system's chromedriver (Debian's {@code chromium} and
 * {@code chromium-driver} packages), never a downloaded one. Other locations: the system properties
 * {@code mobvibe.chromium} and {@code mobvibe.chromedriver}, or the environment variables {@code
 * CHROMIUM_BIN} and {@code CHROMEDRIVER_BIN}. A missing browser fails the test with the way to
 * install it: the browser tests are part of the build, not optional.
 */
final class Browser {
  static final String DEFAULT_CHROMIUM = "/usr/bin/chromium";
  static final String DEFAULT_CHROMEDRIVER = "/usr/bin/chromedriver";

  private Browser() {}

  static ChromeDriver start() {
    File chromium = locate("mobvibe.chromium", "CHROMIUM_BIN", DEFAULT_CHROMIUM);
    File driver = locate("mobvibe.chromedriver", "CHROMEDRIVER_BIN", DEFAULT_CHROMEDRIVER);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--window-size=1280,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
    ChromeDriver browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return browser;
  }

  private static File locate(String property, String variable, String fallback) {
    String path = System.getProperty(property);
    if (path == null || path.isBlank()) {
      path = System.getenv(variable);
    }
    if (path == null || path.isBlank()) {
      path = fallback;
    }
    File f = new File(path);
    if (!f.canExecute()) {
      throw new IllegalStateException(
          "The dashboard's browser tests need Chromium and its chromedriver, and "
              + path
              + " is not there. Install them (Debian: apt-get install -y chromium"
              + " chromium-driver; .ci/run does so), or name other locations with -D"
              + property
              + "=... or the environment variable "
              + variable
              + ".");
    }
    return f;
  }
}
