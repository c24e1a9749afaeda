#!/usr/bin/python3
"""jws-verify.py JWKS-FILE TOKEN ISSUER AUDIENCE ALG: verify an access
token with two independent JOSE implementations, PyJWT and jwcrypto,
through the server's JWKS only (as a resource server elsewhere would).

Prints one line per check ("pyjwt ok", "jwcrypto ok", "thumbprint ok")
or the failure, and exits 0 only if all passed. The alg is pinned by the
caller (RFC 8725 §3.1): neither library is let to take it from the token.
"""
import json
import sys

import jwt
from jwcrypto import jwk as jjwk
from jwcrypto import jws as jjws


def main():
    jwks_file, token, issuer, audience, alg = sys.argv[1:6]
    with open(jwks_file, encoding="utf-8") as f:
        jwks = json.load(f)
    kid = jwt.get_unverified_header(token)["kid"]
    entry = [k for k in jwks["keys"] if k["kid"] == kid]
    failed = 0
    if len(entry) != 1:
        print("the token's kid is not in the JWKS once")
        return 1

    # RFC 7638: each key's kid is its thumbprint, by jwcrypto's reckoning.
    for k in jwks["keys"]:
        if jjwk.JWK(**k).thumbprint() != k["kid"]:
            print("thumbprint differs for", k["kid"])
            failed = 1
    if not failed:
        print("thumbprint ok")

    try:
        key = jwt.PyJWK(entry[0]).key
        claims = jwt.decode(token, key=key, algorithms=[alg], audience=audience,
                            issuer=issuer, options={"require": ["exp", "iat", "sub"]})
        print("pyjwt ok", claims["sub"])
    except Exception as e:  # pylint: disable=broad-except
        print("pyjwt failed:", type(e).__name__, e)
        failed = 1

    try:
        key = jjwk.JWKSet.from_json(json.dumps(jwks)).get_key(kid)
        sig = jjws.JWS()
        sig.deserialize(token)
        sig.verify(key, alg=alg)
        claims = json.loads(sig.payload)
        if claims["iss"] != issuer or claims["aud"] != audience:
            raise ValueError("iss or aud differs")
        print("jwcrypto ok", claims["sub"])
    except Exception as e:  # pylint: disable=broad-except
        print("jwcrypto failed:", type(e).__name__, e)
        failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
