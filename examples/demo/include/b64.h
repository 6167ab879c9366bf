/*
 * b64: Base64 encoding and decoding (RFC 4648, standard alphabet, padded).
 * The demo project of cibox: small, but a real library with its own tests.
 */
#ifndef B64_H
#define B64_H

#include <stddef.h>

/* Bytes needed to encode n bytes, the terminating NUL included. */
size_t b64_encoded_size(size_t n);

/* Encodes n bytes of in into out, which holds b64_encoded_size(n) bytes.
 * Returns the length of the text, without the NUL. */
size_t b64_encode(const void *in, size_t n, char *out);

/* Decodes the text in[0..n) into out, which holds at least n / 4 * 3 bytes.
 * Returns the number of bytes decoded, or -1 if the text is not Base64. */
long b64_decode(const char *in, size_t n, void *out);

#endif
