package dev.mobvibe.queue.dashboard;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The dashboard's credentials: the token, and the login cookies and CSRF tokens derived from it.
 *
 * <p>A login is stateless: its cookie is {@code <issued seconds + 16 random bytes>.<HMAC>}, signed
 * with a key derived from the token, so it survives a restart and dies when the token changes. The
 * CSRF token of a login is another HMAC of the same payload. Every comparison of a secret is
 * constant-time ({@link MessageDigest#isEqual}); the token itself is compared through SHA-256
 * digests, so neither its content nor its length leaks through timing.
 */
final class Auth {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final byte[] tokenDigest;
  private final SecretKeySpec key;
  private final Duration lifetime;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  Auth(String token, Duration lifetime, Clock clock) {
    this.tokenDigest = sha256(token);
    this.key = new SecretKeySpec(sha256("mobvibe-dashboard-key:" + token), "HmacSHA256");
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /** Whether a presented token is the token; constant-time. */
  boolean tokenMatches(String candidate) {
    return candidate != null && MessageDigest.isEqual(tokenDigest, sha256(candidate));
  }

  /** A new login cookie value. */
  String newSession() {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    byte[] payload =
        ByteBuffer.allocate(24).putLong(clock.instant().getEpochSecond()).put(nonce).array();
    String p = B64.encodeToString(payload);
    return p + "." + B64.encodeToString(mac("session:" + p));
  }

  /**
   * Checks a login cookie: signature and age.
   *
   * @return the login's payload (names the login for its CSRF token), or empty if not valid
   */
  Optional<String> verifySession(String cookie) {
    if (cookie == null) {
      return Optional.empty();
    }
    int dot = cookie.indexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    String p = cookie.substring(0, dot);
    byte[] presented;
    byte[] payload;
    try {
      presented = B64D.decode(cookie.substring(dot + 1));
      payload = B64D.decode(p);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!MessageDigest.isEqual(mac("session:" + p), presented) || payload.length != 24) {
      return Optional.empty();
    }
    long issued = ByteBuffer.wrap(payload).getLong();
    long now = clock.instant().getEpochSecond();
    if (issued > now + 60 || now - issued > lifetime.toSeconds()) {
      return Optional.empty();
    }
    return Optional.of(p);
  }

  /** The CSRF token of a login. */
  String csrfToken(String session) {
    return B64.encodeToString(mac("csrf:" + session));
  }

  /** Whether a presented CSRF token is the login's; constant-time. */
  boolean csrfMatches(String session, String candidate) {
    return candidate != null
        && MessageDigest.isEqual(
            csrfToken(session).getBytes(StandardCharsets.US_ASCII),
            candidate.getBytes(StandardCharsets.US_ASCII));
  }

  /** The cookie's lifetime, for its Max-Age. */
  Duration lifetime() {
    return lifetime;
  }

  private byte[] mac(String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
