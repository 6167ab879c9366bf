#include "b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encoded_size(size_t n) { return (n + 2) / 3 * 4 + 1; }

size_t b64_encode(const void *in, size_t n, char *out) {
  const unsigned char *p = in;
  size_t len = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned long v = (unsigned long)p[i] << 16;
    if (i + 1 < n)
      v |= (unsigned long)p[i + 1] << 8;
    if (i + 2 < n)
      v |= p[i + 2];
    out[len++] = alphabet[(v >> 18) & 63];
    out[len++] = alphabet[(v >> 12) & 63];
    out[len++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    out[len++] = i + 2 < n ? alphabet[v & 63] : '=';
  }
  out[len] = '\0';
  return len;
}

/* The value of one Base64 digit, or -1. */
static int digit(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

long b64_decode(const char *in, size_t n, void *out) {
  unsigned char *p = out;
  long len = 0;
  if (n % 4 != 0)
    return -1;
  for (size_t i = 0; i < n; i += 4) {
    int pad = (in[i + 3] == '=') + (in[i + 2] == '=');
    /* Padding belongs at the very end only, and never before a digit. */
    if (pad && i + 4 != n)
      return -1;
    if (pad == 1 && in[i + 2] == '=')
      return -1;
    unsigned long v = 0;
    for (int k = 0; k < 4 - pad; k++) {
      int d = digit(in[i + k]);
      if (d < 0)
        return -1;
      v = v << 6 | (unsigned long)d;
    }
    v <<= 6 * pad;
    p[len++] = (unsigned char)(v >> 16);
    if (pad < 2)
      p[len++] = (unsigned char)(v >> 8);
    if (pad < 1)
      p[len++] = (unsigned char)v;
  }
  return len;
}
