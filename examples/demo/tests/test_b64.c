/* The RFC 4648 test vectors, a round trip over every byte, and bad input. */
#include "b64.h"

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static void rfc4648_vectors(void) {
  static const char *const plain[] = {"",     "f",     "fo",    "foo",
                                      "foob", "fooba", "foobar"};
  static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    char text[16], back[16];
    size_t n = strlen(plain[i]);
    CHECK(b64_encode(plain[i], n, text) == strlen(coded[i]));
    CHECK(strcmp(text, coded[i]) == 0);
    CHECK(b64_decode(text, strlen(text), back) == (long)n);
    CHECK(memcmp(back, plain[i], n) == 0);
  }
}

static void every_byte_round_trips(void) {
  unsigned char bytes[256], back[256];
  char text[sizeof bytes / 3 * 4 + 8];
  for (int i = 0; i < 256; i++)
    bytes[i] = (unsigned char)i;
  for (size_t n = 0; n <= sizeof bytes; n++) {
    size_t len = b64_encode(bytes, n, text);
    CHECK(len + 1 == b64_encoded_size(n));
    CHECK(b64_decode(text, len, back) == (long)n);
    CHECK(memcmp(back, bytes, n) == 0);
  }
}

static void bad_input_is_refused(void) {
  char out[16];
  CHECK(b64_decode("Zg=", 3, out) == -1);
  CHECK(b64_decode("Zg=a", 4, out) == -1);
  CHECK(b64_decode("Z===", 4, out) == -1);
  CHECK(b64_decode("Zg==Zg==", 8, out) == -1);
  CHECK(b64_decode("Zm9*", 4, out) == -1);
}

int main(void) {
  rfc4648_vectors();
  every_byte_round_trips();
  bad_input_is_refused();
  if (failures) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  puts("b64: all checks passed");
  return 0;
}
