#!/usr/bin/env bash
#! Writes the seed corpus of the `jwt` fuzz target (tokens signed with keys/fuzz-rsa-2048.pem by openssl, and JSON for the H, C and K shapes).
#
# Usage: bash tests/fuzz/jwt_seeds.sh      (the output is committed; rerun only to change seeds)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KEY="$DIR/keys/fuzz-rsa-2048.pem"
OUT="$DIR/corpus/jwt"
mkdir -p "$OUT"

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# sign HEADER CLAIMS: a compact RS256 JWS over exactly these bytes.
sign() {
  local input
  input="$(printf '%s' "$1" | b64url).$(printf '%s' "$2" | b64url)"
  printf '%s.%s' "$input" "$(printf '%s' "$input" | openssl dgst -sha256 -sign "$KEY" -binary | b64url)"
}
seed() { printf '%s' "$2" >"$OUT/$1"; }

ISS='https://idp.fuzz.invalid/realms/kong'
HEADER='{"alg":"RS256","kid":"fuzz-k1","typ":"JWT"}'
# Must equal VALID_CLAIMS in fuzz_targets/jwt.rs.
CLAIMS='{"iss":"'"$ISS"'","exp":1700003600,"iat":1700000000,"client_id":"kong_id","azp":"kong_id","groups":["a","b"]}'
VALID="$(sign "$HEADER" "$CLAIMS")"

# Whole tokens: the one valid token and near misses.
seed token_valid "$VALID"
seed token_expired "$(sign "$HEADER" '{"iss":"'"$ISS"'","exp":1699999999,"client_id":"kong_id"}')"
seed token_wrong_issuer "$(sign "$HEADER" '{"iss":"https://evil.invalid/realms/kong","exp":1700003600}')"
seed token_unknown_kid "$(sign '{"alg":"RS256","kid":"other"}' "$CLAIMS")"
seed token_alg_rs384 "$(sign '{"alg":"RS384","kid":"fuzz-k1"}' "$CLAIMS")"
seed token_crit "$(sign '{"alg":"RS256","kid":"fuzz-k1","crit":["exp"]}' "$CLAIMS")"
seed token_string_exp "$(sign "$HEADER" '{"iss":"'"$ISS"'","exp":"soon"}')"
seed token_alg_none "$(printf '%s' '{"alg":"none"}' | b64url).$(printf '%s' "$CLAIMS" | b64url)."
seed token_flipped_signature "${VALID%?}$([[ "${VALID: -1}" == A ]] && echo B || echo A)"
other_payload="$(printf '%s' '{"iss":"'"$ISS"'","exp":1800000000,"client_id":"admin"}' | b64url)"
seed token_swapped_payload "${VALID%%.*}.$other_payload.${VALID##*.}"
seed token_two_parts "${VALID%.*}"
seed token_four_parts "$VALID.x"
seed token_padded "$VALID=="

# H: header JSON, newline, claims JSON; signed by the target.
seed h_valid "H$HEADER
$CLAIMS"
seed h_no_kid 'H{"alg":"RS256"}
{"iss":"'"$ISS"'/","exp":1700000001,"client_id":["x",1,"y"]}'
seed h_array_header 'H["RS256","fuzz-k1"]
'"$CLAIMS"
seed h_jku 'H{"alg":"RS256","jku":"https://evil.invalid/jwks"}
'"$CLAIMS"
seed h_null_members 'H{"alg":"RS256","kid":null,"crit":null,"x5c":null}
'"$CLAIMS"
seed h_escaped_alg 'H{"alg":"RS\u003256","kid":"fuzz-k1"}
'"$CLAIMS"
seed h_duplicate_iss "H$HEADER"'
{"iss":"'"$ISS"'","exp":1700003600,"iss":"https://evil.invalid"}'
seed h_duplicate_alg 'H{"alg":"none","alg":"RS256"}
'"$CLAIMS"

# C: claims JSON under the fixed header.
seed c_valid "C$CLAIMS"
seed c_minimal 'C{"iss":"'"$ISS"'","exp":1700000001}'
seed c_float_dates 'C{"iss":"'"$ISS"'","exp":1700000000.9,"nbf":1700000005.5,"iat":1.7e9}'
seed c_nbf_skew 'C{"iss":"'"$ISS"'","exp":1800000000,"nbf":1700000006}'
seed c_huge_exp 'C{"iss":"'"$ISS"'","exp":18446744073709551615,"iat":-9223372036854775808}'
seed c_exp_1e300 'C{"iss":"'"$ISS"'","exp":1e300}'
seed c_null_nbf 'C{"iss":"'"$ISS"'","exp":1800000000,"nbf":null}'
seed c_missing_exp 'C{"iss":"'"$ISS"'"}'
seed c_not_object 'C["iss","exp"]'
seed c_escaped_iss 'C{"iss":"https:\/\/idp.fuzz.invalid\/realms\/kong\/\/","exp":1800000000,"client_id":"\u006bong"}'

# K: JWKS documents.
N="$(openssl rsa -in "$KEY" -noout -modulus | cut -d= -f2 | xxd -r -p | b64url)"
seed k_rsa_key 'K{"keys":[{"kty":"RSA","kid":"fuzz-k1","alg":"RS256","use":"sig","n":"'"$N"'","e":"AQAB"}]}'
seed k_mixed 'K{"keys":[{"kty":"RSA","kid":"a","n":"'"$N"'","e":"AQAB"},{"kty":"RSA","kid":"a","alg":"PS256","n":"'"$N"'=","e":"AQAB"},{"kty":"EC","crv":"P-256","kid":"e","x":"AA","y":"AA"},{"kty":"oct","k":"c2VjcmV0"},{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},{"kty":"RSA","alg":"HS256","n":"AA","e":"AQAB"}]}'
seed k_array_key 'K{"keys":[["RSA","fuzz-k1","RS256","sig","'"$N"'","AQAB"]]}'
seed k_array_document 'K[[]]'
seed k_no_keys 'K{"keys":[]}'
