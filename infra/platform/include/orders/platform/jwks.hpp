#pragma once
// Public keys from a JSON Web Key Set (RFC 7517) for verifying RS256 and ES256
// tokens. Only what tokens here need: RSA keys of at least 2048 bits and EC
// keys on P-256, each named by its `kid`. Keys of other types, or marked for
// another use or algorithm, are skipped (a JWKS may hold keys for others).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

namespace orders::platform {

enum class KeyAlgorithm { kRs256, kEs256 };

struct PublicKey {
  std::string kid;
  KeyAlgorithm algorithm = KeyAlgorithm::kRs256;
  std::shared_ptr<EVP_PKEY> key;  // immutable once built; shared by verifying threads
};

struct JwksParse {
  std::optional<std::vector<PublicKey>> keys;  // nullopt: not a JWKS document at all
  std::string error;                           // why not (for an operator's log)
};

// A document without a `keys` array is an error; unusable keys in it are skipped.
JwksParse ParseJwks(std::string_view document);

}  // namespace orders::platform
