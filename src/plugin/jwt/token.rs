//! The pure core of the jwt plugin: decodes a token as Kong's `jwt_parser` does, finds the
//! credential its key claim names, checks the signature with the algorithm and key that
//! credential pins, then the registered claims (`claims_to_verify`, `maximum_expiration`).
//! Every refusal is Kong's message; nothing here panics on any input.

use std::collections::HashMap;

use aws_lc_rs::hmac;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{Map, Value};

use super::keys::{JwtAlgorithm, ALGORITHM_NAMES};
use crate::config::compiled_credentials::JwtCredential;

/// Longest token accepted, in bytes (Kong has no limit but nginx's header buffers).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A registered claim Kong can verify (`claims_to_verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Exp,
    Nbf,
}

impl Claim {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "exp" => Some(Self::Exp),
            "nbf" => Some(Self::Nbf),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Exp => "exp",
            Self::Nbf => "nbf",
        }
    }
}

/// What the checks depend on from the plugin's config.
#[derive(Debug, Clone)]
pub struct Rules {
    pub key_claim_name: String,
    pub secret_is_base64: bool,
    pub claims_to_verify: Vec<Claim>,
    /// Seconds; 0 is off.
    pub maximum_expiration: f64,
}

/// Why a token was refused; each is a 401 with Kong's message (`Claims`: Kong's `errors`
/// object, claim name to problem, as the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// "Bad token; invalid JSON" / "invalid alg" / "invalid signature".
    BadToken(&'static str),
    /// The key claim is in neither the claims nor the header.
    NoKeyClaim,
    /// The key claim is the empty string.
    InvalidKeyClaim,
    NoCredentials,
    InvalidAlgorithm,
    /// The credential has nothing to verify with (an ES* entry without a public key, or a
    /// secret that is not base64url with `secret_is_base64`).
    InvalidKeySecret,
    InvalidSignature,
    Claims(Vec<(&'static str, &'static str)>),
}

impl Refusal {
    /// Kong's `message` (for `Claims`, a one-line summary for logs).
    pub fn message(&self, key_claim_name: &str) -> String {
        match self {
            Self::BadToken(why) => format!("Bad token; {why}"),
            Self::NoKeyClaim => format!("No mandatory '{key_claim_name}' in claims"),
            Self::InvalidKeyClaim => format!("Invalid '{key_claim_name}' in claims"),
            Self::NoCredentials => format!("No credentials found for given '{key_claim_name}'"),
            Self::InvalidAlgorithm => "Invalid algorithm".to_owned(),
            Self::InvalidKeySecret => "Invalid key/secret".to_owned(),
            Self::InvalidSignature => "Invalid signature".to_owned(),
            Self::Claims(errors) => errors
                .iter()
                .map(|(claim, problem)| format!("{claim}: {problem}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A token split and decoded; its signature not checked yet.
#[derive(Debug)]
pub struct Decoded<'t> {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub alg: JwtAlgorithm,
    /// `header.claims`, the signed bytes.
    pub signing_input: &'t [u8],
    pub signature: Vec<u8>,
}

/// Kong's decoder: base64url (padding optional, anything from the first `=` ignored, as
/// nginx's `decode_base64url`), non-canonical trailing bits accepted.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64url the way nginx does; `None` where nginx fails.
pub fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    let end = input.iter().position(|b| *b == b'=').unwrap_or(input.len());
    let input = &input[..end];
    if input.len() % 4 == 1 {
        return None;
    }
    LENIENT_URL_SAFE.decode(input).ok()
}

/// Splits and decodes `token` (Kong's `jwt_parser:new`): at most three parts, the third
/// holding any further dots; header and claims JSON objects (duplicate members refused);
/// `alg` one of Kong's names (never `none`); the signature base64url.
pub fn decode(token: &str) -> Result<Decoded<'_>, Refusal> {
    const INVALID_JSON: Refusal = Refusal::BadToken("invalid JSON");
    if token.len() > MAX_TOKEN_LEN {
        return Err(INVALID_JSON);
    }
    let mut parts = token.splitn(3, '.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(INVALID_JSON);
    };
    let json_object = |part: &str| {
        base64url_decode(part.as_bytes())
            .and_then(|json| crate::oidc::strict_json::parse_object(&json).ok())
            .ok_or(INVALID_JSON)
    };
    let header = json_object(header_b64)?;
    let claims = json_object(claims_b64)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .filter(|alg| ALGORITHM_NAMES.contains(alg))
        .and_then(JwtAlgorithm::from_name)
        .ok_or(Refusal::BadToken("invalid alg"))?;
    let signature =
        base64url_decode(signature_b64.as_bytes()).ok_or(Refusal::BadToken("invalid signature"))?;
    let signed_len = header_b64.len() + 1 + claims_b64.len();
    Ok(Decoded {
        header,
        claims,
        alg,
        signing_input: &token.as_bytes()[..signed_len],
        signature,
    })
}

impl Decoded<'_> {
    /// The key claim: from the claims, else the header (a `false` counts as absent, as Lua's
    /// `or`). A non-string value names no credential.
    fn key_claim<'s>(&'s self, name: &str) -> Result<&'s str, Refusal> {
        fn present<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
            map.get(name)
                .filter(|value| !matches!(value, Value::Bool(false)))
        }
        match present(&self.claims, name).or_else(|| present(&self.header, name)) {
            None => Err(Refusal::NoKeyClaim),
            Some(Value::String(key)) if key.is_empty() => Err(Refusal::InvalidKeyClaim),
            Some(Value::String(key)) => Ok(key),
            Some(_) => Err(Refusal::NoCredentials),
        }
    }
}

/// Verifies `token` at unix time `now` against `credentials` (by key): Kong's order of checks
/// and messages. Returns the credential that signed it.
pub fn verify<'c>(
    token: &str,
    credentials: &'c HashMap<String, JwtCredential>,
    rules: &Rules,
    now: f64,
) -> Result<&'c JwtCredential, Refusal> {
    let decoded = decode(token)?;
    let key = decoded.key_claim(&rules.key_claim_name)?;
    let credential = credentials.get(key).ok_or(Refusal::NoCredentials)?;
    let pinned = credential.parsed_key.algorithm;
    if decoded.alg != pinned {
        return Err(Refusal::InvalidAlgorithm);
    }
    check_signature(&decoded, credential, rules.secret_is_base64)?;
    check_claims(&decoded.claims, rules, now)?;
    Ok(credential)
}

/// Checks the signature with the credential's secret (HS*) or public key.
fn check_signature(
    decoded: &Decoded<'_>,
    credential: &JwtCredential,
    secret_is_base64: bool,
) -> Result<(), Refusal> {
    let parsed = &credential.parsed_key;
    let valid = match parsed.algorithm.hmac() {
        Some(algorithm) => {
            let raw = credential.secret.expose();
            let decoded_secret;
            let secret = if secret_is_base64 {
                decoded_secret = base64url_decode(raw).ok_or(Refusal::InvalidKeySecret)?;
                &decoded_secret[..]
            } else {
                raw
            };
            let key = hmac::Key::new(algorithm, secret);
            // Constant-time comparison.
            hmac::verify(&key, decoded.signing_input, &decoded.signature).is_ok()
        }
        None => {
            if parsed.public_key.is_none() {
                return Err(Refusal::InvalidKeySecret);
            }
            parsed.verify_public(decoded.signing_input, &decoded.signature)
        }
    };
    if valid {
        Ok(())
    } else {
        Err(Refusal::InvalidSignature)
    }
}

/// Kong's `verify_registered_claims` (exp: expired when `exp <= now`; nbf: not valid yet when
/// `nbf > now`; either must be a JSON number) and `check_maximum_expiration`.
pub fn check_claims(claims: &Map<String, Value>, rules: &Rules, now: f64) -> Result<(), Refusal> {
    let mut errors = Vec::new();
    for claim in &rules.claims_to_verify {
        let problem = match claims.get(claim.name()).and_then(Value::as_f64) {
            None => Some("must be a number"),
            Some(exp) if *claim == Claim::Exp && exp <= now => Some("token expired"),
            Some(nbf) if *claim == Claim::Nbf && nbf > now => Some("token not valid yet"),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            errors.push((claim.name(), problem));
        }
    }
    if !errors.is_empty() {
        return Err(Refusal::Claims(errors));
    }
    if rules.maximum_expiration > 0.0 {
        let too_far = match claims.get("exp").and_then(Value::as_f64) {
            Some(exp) => exp - now > rules.maximum_expiration,
            None => true,
        };
        if too_far {
            return Err(Refusal::Claims(vec![(
                "exp",
                "exceeds maximum allowed expiration",
            )]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret_value::SecretValue;
    use crate::plugin::jwt::keys::{check_jwt_secret, tests::rsa_pem};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const NOW: f64 = 1_700_000_000.0;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn hs_token(alg: &str, header_extra: &str, claims: &str, secret: &[u8]) -> String {
        let header = format!(r#"{{"typ":"JWT","alg":"{alg}"{header_extra}}}"#);
        let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
        let algorithm = JwtAlgorithm::from_name(alg)
            .and_then(JwtAlgorithm::hmac)
            .unwrap_or(hmac::HMAC_SHA256);
        let tag = hmac::sign(&hmac::Key::new(algorithm, secret), input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    }

    fn credential(key: &str, algorithm: &str, secret: &str, pem: Option<&str>) -> JwtCredential {
        JwtCredential {
            id: format!("id-{key}"),
            consumer: 0,
            key: key.to_owned(),
            algorithm: algorithm.to_owned(),
            secret: SecretValue::new(secret.as_bytes().to_vec()),
            rsa_public_key: pem.map(str::to_owned),
            parsed_key: check_jwt_secret(Some(algorithm), pem).unwrap(),
        }
    }

    /// The key of the credential that verified `token`.
    fn check(
        token: &str,
        creds: &HashMap<String, JwtCredential>,
        rules: &Rules,
    ) -> Result<String, Refusal> {
        verify(token, creds, rules, NOW).map(|c| c.key.clone())
    }

    fn rules() -> Rules {
        Rules {
            key_claim_name: "iss".into(),
            secret_is_base64: false,
            claims_to_verify: Vec::new(),
            maximum_expiration: 0.0,
        }
    }

    fn store(credentials: Vec<JwtCredential>) -> HashMap<String, JwtCredential> {
        credentials
            .into_iter()
            .map(|c| (c.key.clone(), c))
            .collect()
    }

    #[test]
    fn hs_tokens_verify_in_kongs_order() {
        let creds = store(vec![
            credential("k1", "HS256", "secret-one", None),
            credential("k5", "HS512", "secret-five", None),
        ]);
        let good = hs_token("HS256", "", r#"{"iss":"k1"}"#, b"secret-one");
        assert_eq!(check(&good, &creds, &rules()).unwrap(), "k1");
        let hs512 = hs_token("HS512", "", r#"{"iss":"k5"}"#, b"secret-five");
        assert_eq!(check(&hs512, &creds, &rules()).unwrap(), "k5");

        let wrong_secret = hs_token("HS256", "", r#"{"iss":"k1"}"#, b"nope");
        assert_eq!(
            check(&wrong_secret, &creds, &rules()),
            Err(Refusal::InvalidSignature)
        );
        // The credential pins the algorithm; the token's alg must equal it.
        let other_alg = hs_token("HS384", "", r#"{"iss":"k1"}"#, b"secret-one");
        assert_eq!(
            check(&other_alg, &creds, &rules()),
            Err(Refusal::InvalidAlgorithm)
        );
        let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(br#"{"iss":"k1"}"#));
        assert_eq!(
            check(&none, &creds, &rules()),
            Err(Refusal::BadToken("invalid alg"))
        );
        let no_iss = hs_token("HS256", "", r#"{"sub":"x"}"#, b"secret-one");
        assert_eq!(check(&no_iss, &creds, &rules()), Err(Refusal::NoKeyClaim));
        let empty = hs_token("HS256", "", r#"{"iss":""}"#, b"secret-one");
        assert_eq!(
            check(&empty, &creds, &rules()),
            Err(Refusal::InvalidKeyClaim)
        );
        let unknown = hs_token("HS256", "", r#"{"iss":"zz"}"#, b"secret-one");
        assert_eq!(
            check(&unknown, &creds, &rules()),
            Err(Refusal::NoCredentials)
        );
        let number = hs_token("HS256", "", r#"{"iss":12}"#, b"secret-one");
        assert_eq!(
            check(&number, &creds, &rules()),
            Err(Refusal::NoCredentials)
        );
        // The key claim may also be in the header; `false` counts as absent.
        let in_header = hs_token("HS256", r#","iss":"k1""#, r#"{"iss":false}"#, b"secret-one");
        assert!(check(&in_header, &creds, &rules()).is_ok());
        let custom = Rules {
            key_claim_name: "kid".into(),
            ..rules()
        };
        let by_kid = hs_token("HS256", r#","kid":"k1""#, "{}", b"secret-one");
        assert!(check(&by_kid, &creds, &custom).is_ok());
        assert_eq!(
            Refusal::NoKeyClaim.message("kid"),
            "No mandatory 'kid' in claims"
        );
    }

    #[test]
    fn malformed_tokens_get_kongs_messages() {
        let creds = store(vec![credential("k1", "HS256", "s", None)]);
        let json: Result<String, Refusal> = Err(Refusal::BadToken("invalid JSON"));
        for token in [
            "",
            "abc",
            "a.b",
            "no-way-this-works.eyJ.x",
            "e30.W10.x",                // claims an array
            "WzFd.e30.x",               // header an array
            "e30.eyJhIjoxLCJhIjoyfQ.x", // duplicate member
        ] {
            assert_eq!(check(token, &creds, &rules()), json.clone(), "{token}");
        }
        // {} header: no alg.
        assert_eq!(
            check("e30.e30.x", &creds, &rules()),
            Err(Refusal::BadToken("invalid alg"))
        );
        // A fourth part ends up in the signature, which then is not base64url.
        let good = hs_token("HS256", "", r#"{"iss":"k1"}"#, b"s");
        assert_eq!(
            check(&format!("{good}.x"), &creds, &rules()),
            Err(Refusal::BadToken("invalid signature"))
        );
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(check(&long, &creds, &rules()), json);
    }

    #[test]
    fn nginx_base64url_rules() {
        assert_eq!(base64url_decode(b"YQ").unwrap(), b"a");
        assert_eq!(base64url_decode(b"YQ==").unwrap(), b"a");
        assert_eq!(base64url_decode(b"YQ==junk").unwrap(), b"a");
        assert_eq!(base64url_decode(b"YR").unwrap(), b"a"); // trailing bits ignored
        assert!(base64url_decode(b"Y").is_none());
        assert!(base64url_decode(b"a+b/").is_none());
        assert_eq!(base64url_decode(b"").unwrap(), b"");
    }

    #[test]
    fn base64_secrets_are_decoded_first() {
        // Kong's secret_is_base64: the stored secret is base64url of the signing secret.
        let creds = store(vec![
            credential("k1", "HS256", &b64(b"raw secret"), None),
            credential("bad", "HS256", "not+base64/", None),
        ]);
        let base64_rules = Rules {
            secret_is_base64: true,
            ..rules()
        };
        let token = hs_token("HS256", "", r#"{"iss":"k1"}"#, b"raw secret");
        assert!(check(&token, &creds, &base64_rules).is_ok());
        assert_eq!(
            check(&token, &creds, &rules()),
            Err(Refusal::InvalidSignature)
        );
        let bad = hs_token("HS256", "", r#"{"iss":"bad"}"#, b"x");
        assert_eq!(
            check(&bad, &creds, &base64_rules),
            Err(Refusal::InvalidKeySecret)
        );
    }

    #[test]
    fn rsa_tokens_verify_with_the_parsed_key() {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let pem = rsa_pem(&pair);
        let creds = store(vec![
            credential("r1", "RS256", "", Some(&pem)),
            credential("e1", "ES256", "", None),
        ]);
        let input = format!("{}.{}", b64(br#"{"alg":"RS256"}"#), b64(br#"{"iss":"r1"}"#));
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
        let token = format!("{input}.{}", b64(&signature));
        assert_eq!(check(&token, &creds, &rules()).unwrap(), "r1");
        signature[10] ^= 1;
        let tampered = format!("{input}.{}", b64(&signature));
        assert_eq!(
            check(&tampered, &creds, &rules()),
            Err(Refusal::InvalidSignature)
        );
        // An HS token "signed" with the public key PEM is refused by the pinned algorithm.
        let confused = hs_token("HS256", "", r#"{"iss":"r1"}"#, pem.as_bytes());
        assert_eq!(
            check(&confused, &creds, &rules()),
            Err(Refusal::InvalidAlgorithm)
        );
        let es = format!(
            "{}.{}.AAAA",
            b64(br#"{"alg":"ES256"}"#),
            b64(br#"{"iss":"e1"}"#)
        );
        assert_eq!(check(&es, &creds, &rules()), Err(Refusal::InvalidKeySecret));
    }

    #[test]
    fn ecdsa_eddsa_and_pss_tokens_verify() {
        use crate::plugin::jwt::keys::tests::pem;
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
        let rng = SystemRandom::new();
        let token_for = |alg: &str, key: &str, sign: &dyn Fn(&[u8]) -> Vec<u8>| {
            let input = format!(
                "{}.{}",
                b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes()),
                b64(format!(r#"{{"iss":"{key}"}}"#).as_bytes())
            );
            let signature = sign(input.as_bytes());
            format!("{input}.{}", b64(&signature))
        };
        let p256 = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let p521 = EcdsaKeyPair::generate(&signature::ECDSA_P521_SHA512_FIXED_SIGNING).unwrap();
        let ed = Ed25519KeyPair::generate().unwrap();
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let spki = |der: &[u8]| pem("PUBLIC KEY", der);
        let creds = store(vec![
            credential(
                "es256",
                "ES256",
                "",
                Some(&spki(p256.public_key().as_der().unwrap().as_ref())),
            ),
            credential(
                "es512",
                "ES512",
                "",
                Some(&spki(p521.public_key().as_der().unwrap().as_ref())),
            ),
            credential(
                "ed",
                "EdDSA",
                "",
                Some(&spki(ed.public_key().as_der().unwrap().as_ref())),
            ),
            credential("ps", "PS256", "", Some(&rsa_pem(&rsa))),
        ]);
        let tokens = [
            token_for("ES256", "es256", &|m| {
                p256.sign(&rng, m).unwrap().as_ref().to_vec()
            }),
            token_for("ES512", "es512", &|m| {
                p521.sign(&rng, m).unwrap().as_ref().to_vec()
            }),
            token_for("EdDSA", "ed", &|m| ed.sign(m).as_ref().to_vec()),
            token_for("PS256", "ps", &|m| {
                let mut out = vec![0; rsa.public_modulus_len()];
                rsa.sign(&signature::RSA_PSS_SHA256, &rng, m, &mut out)
                    .unwrap();
                out
            }),
        ];
        for (token, key) in tokens.iter().zip(["es256", "es512", "ed", "ps"]) {
            assert_eq!(check(token, &creds, &rules()).unwrap(), key);
            // The signature of another token does not verify.
            let (input, _) = token.rsplit_once('.').unwrap();
            let forged = format!("{input}.{}", b64(&[7u8; 64]));
            assert_eq!(
                check(&forged, &creds, &rules()),
                Err(Refusal::InvalidSignature)
            );
        }
    }

    #[test]
    fn registered_claims_and_maximum_expiration() {
        let parse = |json: &str| crate::oidc::strict_json::parse_object(json.as_bytes()).unwrap();
        let both = Rules {
            claims_to_verify: vec![Claim::Exp, Claim::Nbf],
            ..rules()
        };
        assert_eq!(
            check_claims(&parse("{}"), &both, NOW),
            Err(Refusal::Claims(vec![
                ("exp", "must be a number"),
                ("nbf", "must be a number")
            ]))
        );
        assert_eq!(
            check_claims(&parse(r#"{"exp":"1","nbf":1}"#), &both, NOW),
            Err(Refusal::Claims(vec![("exp", "must be a number")]))
        );
        let expired = format!(r#"{{"exp":{NOW},"nbf":1}}"#);
        assert_eq!(
            check_claims(&parse(&expired), &both, NOW),
            Err(Refusal::Claims(vec![("exp", "token expired")]))
        );
        let early = format!(r#"{{"exp":{},"nbf":{}}}"#, NOW + 10.0, NOW + 0.5);
        assert_eq!(
            check_claims(&parse(&early), &both, NOW),
            Err(Refusal::Claims(vec![("nbf", "token not valid yet")]))
        );
        let fine = format!(r#"{{"exp":{},"nbf":{NOW}}}"#, NOW + 0.5);
        assert!(check_claims(&parse(&fine), &both, NOW).is_ok());
        // Unchecked claims are not looked at.
        assert!(check_claims(&parse(r#"{"exp":"x"}"#), &rules(), NOW).is_ok());

        let capped = Rules {
            claims_to_verify: vec![Claim::Exp],
            maximum_expiration: 300.0,
            ..rules()
        };
        let within = format!(r#"{{"exp":{}}}"#, NOW + 300.0);
        assert!(check_claims(&parse(&within), &capped, NOW).is_ok());
        let beyond = format!(r#"{{"exp":{}}}"#, NOW + 301.0);
        assert_eq!(
            check_claims(&parse(&beyond), &capped, NOW),
            Err(Refusal::Claims(vec![(
                "exp",
                "exceeds maximum allowed expiration"
            )]))
        );
    }
}
