"""OAuth client libraries nobody here wrote, against the real stack (SPEC §9).

Run by t/oauth2-clients.t, which starts the stack and passes, in a 0600
JSON file named by argv[1]: the metadata URL, the stack's CA certificate,
a user, and the clients (public, confidential with its secret). Prints TAP.

Every endpoint URL is taken from the RFC 8414 metadata document alone.
"""
import json
import os
import subprocess
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from oauthlib.oauth2 import (BackendApplicationClient, LegacyApplicationClient,
                             InvalidGrantError)
from requests_oauthlib import OAuth2Session
import jwt
from jwcrypto import jwk as jwcrypto_jwk, jwt as jwcrypto_jwt

CFG = json.load(open(sys.argv[1]))
CA = CFG["cacert"]
N = 0
FAILED = 0


def ok(cond, name):
    global N, FAILED
    N += 1
    if not cond:
        FAILED += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", N, name), flush=True)
    return cond


def is_(got, want, name):
    if not ok(got == want, name):
        print("# got:  %r\n# want: %r" % (got, want), flush=True)


def raises(fn, exc, name):
    try:
        fn()
    except exc as e:
        ok(True, name)
        return e
    except Exception as e:  # pylint: disable=broad-except
        ok(False, name)
        print("# raised %r" % (e,), flush=True)
        return None
    ok(False, name)
    print("# nothing raised", flush=True)
    return None


# ---- discovery: the metadata document names every endpoint ------------------
meta = requests.get(CFG["metadata_url"], verify=CA, timeout=30).json()
issuer = meta["issuer"]
for key in ("token_endpoint", "revocation_endpoint", "introspection_endpoint", "jwks_uri"):
    ok(meta[key].startswith(issuer + "/"), "metadata: %s is under the issuer" % key)
# authlib's RFC 8414 validator, field by field. response_types_supported is
# the one left out: jwtauth has no authorization endpoint, so the list is
# empty, which authlib's validator takes for a missing one.
m = AuthorizationServerMetadata(meta)
for field in ("issuer", "token_endpoint", "jwks_uri", "grant_types_supported",
              "token_endpoint_auth_methods_supported", "revocation_endpoint",
              "revocation_endpoint_auth_methods_supported", "introspection_endpoint",
              "introspection_endpoint_auth_methods_supported"):
    try:
        getattr(m, "validate_" + field)()
        ok(True, "authlib validates metadata %s" % field)
    except ValueError as e:
        ok(False, "authlib validates metadata %s: %s" % (field, e))
TOKEN = meta["token_endpoint"]
REVOKE = meta["revocation_endpoint"]
INTROSPECT = meta["introspection_endpoint"]
JWKS = meta["jwks_uri"]
PROFILE = issuer + "/api/Users/GetProfile"
USER, PASSWORD = CFG["user"], CFG["password"]
PUB = CFG["public_client"]
CONF, SECRET = CFG["confidential_client"], CFG["confidential_secret"]


def introspect(token):
    r = requests.post(INTROSPECT, data={"token": token}, auth=(CONF, SECRET), verify=CA,
                      timeout=30)
    return r.json()


# ---- authlib: password grant, three client auth methods ----------------------
def wait_expired(token):
    """Until the client itself sees token expired (a deadline, no timing assertion)."""
    deadline = time.time() + 30
    while time.time() <= token["expires_at"] and time.time() < deadline:
        time.sleep(0.2)


sessions = []
for method, client_id, secret in (("none", PUB, None),
                                  ("client_secret_basic", CONF, SECRET),
                                  ("client_secret_post", CONF, SECRET)):
    # token_endpoint: authlib refreshes an expired token by itself.
    s = AuthlibSession(client_id, secret, token_endpoint_auth_method=method,
                       token_endpoint=TOKEN, verify=CA)
    tok = s.fetch_token(TOKEN, username=USER, password=PASSWORD, grant_type="password")
    ok(tok.get("token_type") == "Bearer" and tok.get("refresh_token"),
       "authlib password grant (%s): a bearer and a refresh token" % method)
    r = s.get(PROFILE)
    is_((r.status_code, r.json().get("Email")), (200, USER),
        "authlib (%s): the access token opens GetProfile" % method)
    claims = jwt.decode(tok["access_token"], options={"verify_signature": False})
    is_(claims.get("client_id"), client_id, "authlib (%s): client_id claim (RFC 9068)" % method)
    sessions.append((method, s, dict(tok)))
# The test's access tokens live 2 s: once expired, authlib refreshes first.
for method, s, tok in sessions:
    wait_expired(tok)
    r = s.get(PROFILE)
    is_(r.status_code, 200, "authlib (%s): GetProfile after expiry: 200" % method)
    ok(s.token["refresh_token"] != tok["refresh_token"],
       "authlib (%s): ... through its own refresh (new refresh token)" % method)

# refresh, then the old refresh token is spent
s = AuthlibSession(PUB, token_endpoint_auth_method="none", verify=CA)
first = s.fetch_token(TOKEN, username=USER, password=PASSWORD, grant_type="password")
second = s.refresh_token(TOKEN, refresh_token=first["refresh_token"])
ok(second["refresh_token"] != first["refresh_token"] and second["access_token"],
   "authlib refresh_token grant: new tokens")
e = raises(lambda: s.refresh_token(TOKEN, refresh_token=first["refresh_token"]), OAuthError,
           "authlib: the rotated-away refresh token is refused")
is_(getattr(e, "error", None), "invalid_grant", "... with invalid_grant")

# client credentials, both methods
for method in ("client_secret_basic", "client_secret_post"):
    s = AuthlibSession(CONF, SECRET, token_endpoint_auth_method=method, scope="read",
                       verify=CA)
    tok = s.fetch_token(TOKEN, grant_type="client_credentials")
    ok("refresh_token" not in tok and tok.get("scope") == "read",
       "authlib client_credentials (%s): access token, scope read, no refresh token" % method)
    info = introspect(tok["access_token"])
    is_((info.get("active"), info.get("sub"), info.get("client_id"), info.get("scope")),
        (True, CONF, CONF, "read"), "introspection: a live client token, sub is the client")

# a scope the client may not ask for
s = AuthlibSession(CONF, SECRET, token_endpoint_auth_method="client_secret_basic",
                   scope="admin", verify=CA)
e = raises(lambda: s.fetch_token(TOKEN, grant_type="client_credentials"), OAuthError,
           "authlib: a scope off the client's list is refused")
is_(getattr(e, "error", None), "invalid_scope", "... with invalid_scope")

# wrong secret
s = AuthlibSession(CONF, "not-the-secret", token_endpoint_auth_method="client_secret_basic",
                   verify=CA)
e = raises(lambda: s.fetch_token(TOKEN, grant_type="client_credentials"), OAuthError,
           "authlib: a wrong client secret is refused")
is_(getattr(e, "error", None), "invalid_client", "... with invalid_client")

# revocation (RFC 7009) and introspection (RFC 7662) through authlib
for method, client_id, secret in (("none", PUB, None), ("client_secret_post", CONF, SECRET)):
    s = AuthlibSession(client_id, secret, token_endpoint_auth_method=method,
                       revocation_endpoint_auth_method=method, verify=CA)
    tok = s.fetch_token(TOKEN, username=USER, password=PASSWORD, grant_type="password")
    r = s.revoke_token(REVOKE, token=tok["refresh_token"], token_type_hint="refresh_token")
    is_(r.status_code, 200, "authlib revoke_token (%s): 200" % method)
    e = raises(lambda: s.refresh_token(TOKEN, refresh_token=tok["refresh_token"]), OAuthError,
               "... the revoked refresh token no longer refreshes (%s)" % method)
s = AuthlibSession(CONF, SECRET, token_endpoint_auth_method="client_secret_basic", verify=CA)
tok = s.fetch_token(TOKEN, username=USER, password=PASSWORD, grant_type="password")
r = s.introspect_token(INTROSPECT, token=tok["refresh_token"])
is_((r.json().get("active"), r.json().get("username"), r.json().get("client_id")),
    (True, USER, CONF), "authlib introspect_token: the client's own refresh token is live")
r = s.introspect_token(INTROSPECT, token=tok["access_token"])
is_((r.json().get("active"), r.json().get("username")), (True, USER),
    "authlib introspect_token: its access token is live")
s.revoke_token(REVOKE, token=tok["refresh_token"])
r = s.introspect_token(INTROSPECT, token=tok["refresh_token"])
is_(r.json(), {"active": False}, "after revocation: {\"active\":false} and nothing else")

# ---- requests-oauthlib --------------------------------------------------------
# LegacyApplicationClient (password grant): public, then client_secret_basic
# (auth=), then client_secret_post (include_client_id with client_secret).
sess = OAuth2Session(client=LegacyApplicationClient(client_id=PUB))
tok = sess.fetch_token(TOKEN, username=USER, password=PASSWORD, client_id=PUB, verify=CA)
r = sess.get(PROFILE, verify=CA)
is_(r.status_code, 200, "requests-oauthlib LegacyApplicationClient (public): GetProfile 200")
sess = OAuth2Session(client=LegacyApplicationClient(client_id=CONF))
tok = sess.fetch_token(TOKEN, username=USER, password=PASSWORD, auth=(CONF, SECRET), verify=CA)
ok(tok.get("refresh_token"), "requests-oauthlib LegacyApplicationClient (basic): tokens")
sess = OAuth2Session(client=LegacyApplicationClient(client_id=CONF))
tok = sess.fetch_token(TOKEN, username=USER, password=PASSWORD, include_client_id=True,
                       client_secret=SECRET, verify=CA)
ok(tok.get("refresh_token"), "requests-oauthlib LegacyApplicationClient (post): tokens")

# BackendApplicationClient (client credentials), both methods
sess = OAuth2Session(client=BackendApplicationClient(client_id=CONF))
tok = sess.fetch_token(TOKEN, auth=(CONF, SECRET), verify=CA)
ok(tok.get("access_token") and "refresh_token" not in tok,
   "requests-oauthlib BackendApplicationClient (basic): an access token, no refresh token")
sess = OAuth2Session(client=BackendApplicationClient(client_id=CONF))
tok = sess.fetch_token(TOKEN, include_client_id=True, client_secret=SECRET, verify=CA)
ok(tok.get("access_token"), "requests-oauthlib BackendApplicationClient (post): an access token")
e = raises(lambda: OAuth2Session(client=BackendApplicationClient(client_id=PUB)).fetch_token(
    TOKEN, include_client_id=True, verify=CA), Exception,
    "requests-oauthlib: client_credentials for a public client is refused")
ok("unauthorized_client" in str(getattr(e, "error", e)), "... with unauthorized_client")

# auto-refresh: the test config makes access tokens live 2 s
updates = []
sess = OAuth2Session(client=LegacyApplicationClient(client_id=PUB))
tok = sess.fetch_token(TOKEN, username=USER, password=PASSWORD, client_id=PUB, verify=CA)
is_(tok.get("expires_in"), 2, "the test's access_token_lifetime reaches expires_in")
auto = OAuth2Session(PUB, token=tok, auto_refresh_url=TOKEN,
                     auto_refresh_kwargs={"client_id": PUB}, token_updater=updates.append)
wait_expired(tok)
r = auto.get(PROFILE, verify=CA)
is_(r.status_code, 200, "requests-oauthlib auto-refresh: GetProfile after expiry: 200")
ok(len(updates) == 1 and updates[0]["refresh_token"] != tok["refresh_token"],
   "... through one refresh, with a new refresh token")
ok(auto.token["access_token"] != tok["access_token"], "... and a new access token in use")
e = raises(lambda: OAuth2Session(client=LegacyApplicationClient(client_id=PUB)).refresh_token(
    TOKEN, refresh_token=tok["refresh_token"], client_id=PUB, verify=CA), InvalidGrantError,
    "requests-oauthlib: the refreshed-away token is refused (InvalidGrantError)")

# ---- the token checked by tools that are not ours, through jwks_uri ------------
os.environ["SSL_CERT_FILE"] = CA      # PyJWKClient fetches with urllib's defaults
at = updates[0]["access_token"] if updates else tok["access_token"]
signing_key = jwt.PyJWKClient(JWKS).get_signing_key_from_jwt(at)
claims = jwt.decode(at, signing_key.key, algorithms=meta["access_token_signing_alg_values_supported"],
                    audience=CFG["public_client_url"], issuer=issuer,
                    options={"verify_exp": False})
is_((claims["client_id"], claims["email"]), (PUB, USER), "PyJWT verifies the token through jwks_uri")
is_(jwt.get_unverified_header(at)["typ"], "at+jwt", "... typ at+jwt (RFC 9068)")
keyset = jwcrypto_jwk.JWKSet.from_json(requests.get(JWKS, verify=CA, timeout=30).text)
t = jwcrypto_jwt.JWT(jwt=at, key=keyset, check_claims=False)
is_(json.loads(t.claims)["client_id"], PUB, "jwcrypto verifies it against the JWKS too")
bad = at[:-4] + ("AAAA" if not at.endswith("AAAA") else "BBBB")
raises(lambda: jwt.decode(bad, signing_key.key, algorithms=["RS256"],
                          options={"verify_aud": False, "verify_exp": False}),
       jwt.InvalidSignatureError, "PyJWT refuses the token with its signature altered")

# ---- every signing algorithm the metadata names, verified through jwks_uri ----
# (SPEC §12): rotate to each at once, wait until the stack signs with it,
# then PyJWT and jwcrypto verify a token from the token endpoint.
for alg in ("ES256", "EdDSA"):
    rc = subprocess.run([CFG["jwtauthctl"], "keys", "rotate", "--alg", alg, "--now"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode
    is_(rc, 0, "jwtauthctl keys rotate --alg %s --now" % alg)
    ok(alg in meta["access_token_signing_alg_values_supported"], "the metadata names %s" % alg)
    deadline = time.time() + 30
    while True:
        tok = requests.post(TOKEN, data={"grant_type": "client_credentials"}, auth=(CONF, SECRET),
                            verify=CA, timeout=30).json()
        if jwt.get_unverified_header(tok["access_token"])["alg"] == alg or time.time() > deadline:
            break
        time.sleep(0.2)
    at = tok["access_token"]
    is_(jwt.get_unverified_header(at)["alg"], alg, "the token endpoint signs with %s" % alg)
    # --now: the signer may use the key a moment before the JWKS's worker
    # has re-read the keys (key_cache_refresh); wait until it publishes it.
    kid = jwt.get_unverified_header(at)["kid"]
    deadline = time.time() + 30
    while kid not in [k.get("kid") for k in requests.get(JWKS, verify=CA, timeout=30).json()["keys"]] \
            and time.time() < deadline:
        time.sleep(0.2)
    key = jwt.PyJWKClient(JWKS).get_signing_key_from_jwt(at)
    claims = jwt.decode(at, key.key, algorithms=meta["access_token_signing_alg_values_supported"],
                        audience="https://backend.example", issuer=issuer,
                        options={"verify_exp": False})
    is_(claims["client_id"], CONF, "PyJWT verifies the %s token through jwks_uri" % alg)
    keyset = jwcrypto_jwk.JWKSet.from_json(requests.get(JWKS, verify=CA, timeout=30).text)
    t = jwcrypto_jwt.JWT(jwt=at, key=keyset, check_claims=False)
    is_(json.loads(t.claims)["sub"], CONF, "jwcrypto verifies it too")
    info = introspect(at)
    is_(info.get("active"), True, "introspection: the %s token is live" % alg)

print("1..%d" % N)
sys.exit(1 if FAILED else 0)
