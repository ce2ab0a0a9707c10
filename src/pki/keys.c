/* Key generation: Ed25519 (the default) or ECDSA P-256. */
#include "pki_int.h"

EVP_PKEY *pki_keygen(sdns_keyalg alg)
{
	switch (alg) {
	case SDNS_KEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case SDNS_KEY_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	}
	return NULL;
}
