// SHA256_Init/Update/Final (CryptoCore's HMAC.SHA256Key copies SHA-256 states, which EVP cannot do
// without allocating) are deprecated in OpenSSL 3 but still built and supported; this keeps their
// declarations free of the deprecation attribute.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
