//! Fault injection against the OIDC core: `ClientCredentialsFlow` driven directly against a stub IdP.

mod mint;
mod stub_idp;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oidc_gateway::oidc::client_credentials::{ClientCredentialsFlow, Now};
use oidc_gateway::oidc::flow_error::FlowError;
use oidc_gateway::oidc::idp_error::IdpError;
use oidc_gateway::oidc::jwt::JwtError;
use oidc_gateway::oidc::secret::ClientCredentials;
use oidc_gateway::oidc::token_cache::CachedToken;
use stub_idp::flow::{self, Knobs};
use stub_idp::{Behaviour, Endpoint, StubIdp, CLIENT_ID, CLIENT_SECRET};

/// Every test body runs under this deadline.
const TEST_DEADLINE: Duration = Duration::from_secs(20);

async fn within<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_DEADLINE, body)
        .await
        .expect("test exceeded its deadline")
}

async fn setup(knobs: Knobs) -> (StubIdp, Arc<ClientCredentialsFlow>) {
    let stub = StubIdp::start().await;
    let flow = flow::build(&stub, &knobs);
    (stub, flow)
}

fn good() -> ClientCredentials {
    flow::credentials(CLIENT_ID, CLIENT_SECRET)
}

async fn token(
    flow: &Arc<ClientCredentialsFlow>,
    creds: &ClientCredentials,
) -> Result<Arc<CachedToken>, FlowError> {
    flow.token(creds, Now::current()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn token_endpoint_failures_are_idp_unavailable_not_rejections() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        let body_too_large = IdpError::InvalidResponse("body too large");
        let cases = [
            (
                Behaviour::Status(500),
                IdpError::ServerError { status: 500 },
            ),
            (
                Behaviour::Status(503),
                IdpError::ServerError { status: 503 },
            ),
            (Behaviour::oversized(true), body_too_large.clone()),
            (Behaviour::oversized(false), body_too_large),
            (Behaviour::Reset, IdpError::Unreachable),
            // A 4xx that does not refuse the credentials is the IdP's problem, not the client's.
            (
                Behaviour::Status(429),
                IdpError::UnexpectedStatus { status: 429 },
            ),
            (
                Behaviour::Status(404),
                IdpError::UnexpectedStatus { status: 404 },
            ),
        ];
        for (n, (behaviour, expected)) in cases.into_iter().enumerate() {
            stub.set(Endpoint::Token, behaviour.clone());
            let error = token(&flow, &good()).await.err();
            assert_eq!(
                error,
                Some(FlowError::IdpUnavailable(expected)),
                "{behaviour:?}"
            );
            assert_eq!(stub.count(Endpoint::Token), n + 1, "{behaviour:?}");
        }
        stub.set(Endpoint::Token, Behaviour::Garbage);
        let error = token(&flow, &good()).await.err();
        assert!(
            matches!(
                error,
                Some(FlowError::IdpUnavailable(IdpError::InvalidResponse(_)))
            ),
            "garbage: {error:?}"
        );
        stub.heal();
        token(&flow, &good())
            .await
            .expect("healed IdP gives a token");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_off_at_the_cap() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        const HUGE: usize = 64 * 1024 * 1024;
        for content_length in [false, true] {
            stub.set(
                Endpoint::Token,
                Behaviour::Oversized {
                    bytes: HUGE,
                    content_length,
                },
            );
            let started = Instant::now();
            let error = token(&flow, &good()).await.err();
            assert_eq!(
                error,
                Some(FlowError::IdpUnavailable(IdpError::InvalidResponse(
                    "body too large"
                ))),
                "content_length {content_length}"
            );
            assert!(started.elapsed() < Duration::from_secs(1));
            // The client hung up long before the stub could push the body out.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let written = stub.oversized_written();
            assert!(
                written < HUGE / 2,
                "stub wrote {written} bytes (content_length {content_length})"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_drip_fed_answers_time_out_on_time() {
    within(async {
        let timeout = Duration::from_millis(300);
        let knobs = Knobs {
            timeout,
            ..Knobs::default()
        };
        let (stub, flow) = setup(knobs).await;
        for behaviour in [
            Behaviour::Delay(Duration::from_secs(2)),
            Behaviour::DripFeed(Duration::from_millis(200)),
        ] {
            stub.set(Endpoint::Token, behaviour.clone());
            let started = Instant::now();
            let error = token(&flow, &good()).await.err();
            let took = started.elapsed();
            assert_eq!(
                error,
                Some(FlowError::IdpUnavailable(IdpError::Timeout)),
                "{behaviour:?}"
            );
            assert!(
                took >= timeout - Duration::from_millis(20)
                    && took < timeout + Duration::from_millis(700),
                "{behaviour:?} took {took:?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rejection_is_negative_cached_for_its_ttl_only() {
    within(async {
        let negative_ttl = Duration::from_millis(800);
        let knobs = Knobs {
            negative_ttl,
            ..Knobs::default()
        };
        let (stub, flow) = setup(knobs).await;
        stub.set(Endpoint::Token, Behaviour::Status(401));
        let rejected_at = Instant::now();
        assert_eq!(token(&flow, &good()).await.err(), Some(FlowError::Rejected));
        assert_eq!(token(&flow, &good()).await.err(), Some(FlowError::Rejected));
        assert_eq!(stub.count(Endpoint::Token), 1, "negative cache hit");
        assert!(rejected_at.elapsed() < negative_ttl);

        stub.heal();
        tokio::time::sleep_until((rejected_at + negative_ttl + Duration::from_millis(100)).into())
            .await;
        token(&flow, &good())
            .await
            .expect("asks the IdP again after the negative TTL");
        assert_eq!(stub.count(Endpoint::Token), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_kid_refetches_jwks_at_most_once_per_interval() {
    within(async {
        let interval = Duration::from_millis(500);
        let knobs = Knobs {
            min_refetch_interval: interval,
            ..Knobs::default()
        };
        let (stub, flow) = setup(knobs).await;
        flow.provider().refresh().await.expect("initial JWKS");
        assert_eq!(stub.count(Endpoint::Jwks), 1);
        assert!(flow.provider().keys().contains_kid(&stub.signing_kid()));
        tokio::time::sleep(interval + Duration::from_millis(100)).await;

        stub.set(Endpoint::Token, Behaviour::TokenSignedByUnknownKey);
        let unknown = Some(FlowError::InvalidToken(JwtError::UnknownKey(Some(
            stub.stranger_kid(),
        ))));
        assert_eq!(token(&flow, &good()).await.err(), unknown);
        assert_eq!(
            stub.count(Endpoint::Jwks),
            2,
            "one refetch for the unknown kid"
        );
        assert_eq!(token(&flow, &good()).await.err(), unknown);
        assert_eq!(stub.count(Endpoint::Jwks), 2, "refetch is rate-limited");
        assert_eq!(stub.count(Endpoint::Token), 2);
    })
    .await;
}

/// With no keys loaded (JWKS failing), a second call inside `min_refetch_interval` skips the
/// refetch but still reports the IdP's failure (502), never "unknown key" (401) for valid
/// credentials.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_jwks_stays_idp_unavailable_while_refetch_is_rate_limited() {
    within(async {
        let knobs = Knobs {
            min_refetch_interval: Duration::from_secs(5),
            ..Knobs::default()
        };
        let (stub, flow) = setup(knobs).await;
        stub.set(Endpoint::Jwks, Behaviour::Status(500));
        let unavailable = Some(FlowError::IdpUnavailable(IdpError::ServerError {
            status: 500,
        }));
        assert_eq!(token(&flow, &good()).await.err(), unavailable);
        let second = token(&flow, &good()).await.err();
        assert!(
            matches!(second, Some(FlowError::IdpUnavailable(_))),
            "valid credentials, keys unavailable: {second:?}"
        );
    })
    .await;
}

async fn fifty_at_once(
    flow: &Arc<ClientCredentialsFlow>,
) -> Vec<Result<Arc<CachedToken>, FlowError>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let flow = flow.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                token(&flow, &good()).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_misses_make_one_token_request() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        flow.provider().refresh().await.expect("JWKS");
        stub.set(
            Endpoint::Token,
            Behaviour::Delay(Duration::from_millis(300)),
        );
        let results = fifty_at_once(&flow).await;
        assert_eq!(stub.count(Endpoint::Token), 1);
        let first = results[0].as_ref().expect("token").upstream_value.clone();
        for result in &results {
            assert_eq!(result.as_ref().expect("token").upstream_value, first);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_misses_share_one_failure() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        let slow_500 =
            Behaviour::DelayThen(Duration::from_millis(300), Box::new(Behaviour::Status(500)));
        stub.set(Endpoint::Token, slow_500);
        let results = fifty_at_once(&flow).await;
        assert_eq!(stub.count(Endpoint::Token), 1);
        for result in results {
            assert_eq!(
                result.err(),
                Some(FlowError::IdpUnavailable(IdpError::ServerError {
                    status: 500
                }))
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_never_gets_the_cached_token() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        let cached = token(&flow, &good()).await.expect("token");
        assert_eq!(stub.count(Endpoint::Token), 1);

        let wrong = flow::credentials(CLIENT_ID, "not-the-secret");
        assert_eq!(token(&flow, &wrong).await.err(), Some(FlowError::Rejected));
        assert_eq!(stub.count(Endpoint::Token), 2, "the IdP judged the secret");

        let again = token(&flow, &good()).await.expect("cached token");
        assert_eq!(again.upstream_value, cached.upstream_value);
        assert_eq!(stub.count(Endpoint::Token), 2, "served from the cache");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_near_its_end_is_refreshed_in_the_background() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        flow.provider().refresh().await.expect("JWKS");
        // Lifetime 3 s: stale (refresh ahead) from 2 s, unusable from 2.75 s.
        stub.set(Endpoint::Token, Behaviour::ShortLifetime(3));
        let first = token(&flow, &good()).await.expect("token");
        let fetched_at = Instant::now();
        assert_eq!(stub.count(Endpoint::Token), 1);

        tokio::time::sleep_until((fetched_at + Duration::from_millis(2200)).into()).await;
        let started = Instant::now();
        let stale = token(&flow, &good()).await.expect("stale token");
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "caller waited {:?}",
            started.elapsed()
        );
        assert_eq!(stale.upstream_value, first.upstream_value);

        let deadline = Instant::now() + Duration::from_millis(500);
        while stub.count(Endpoint::Token) < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(stub.count(Endpoint::Token), 2, "background refresh ran");
        // Give the refresh a moment to store its token, then it is what callers get.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fresh = token(&flow, &good()).await.expect("refreshed token");
        assert_ne!(flow::jti_of(&fresh), flow::jti_of(&first));
        assert_eq!(stub.count(Endpoint::Token), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_clients_ride_out_an_idp_outage() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        let cached = token(&flow, &good()).await.expect("token");
        let kid = stub.signing_kid();
        for behaviour in [Behaviour::Status(503), Behaviour::Reset] {
            for endpoint in [Endpoint::Discovery, Endpoint::Token, Endpoint::Jwks] {
                stub.set(endpoint, behaviour.clone());
            }
            // A failed key refresh keeps the last good keys.
            assert!(flow.provider().refresh().await.is_err(), "{behaviour:?}");
            assert!(flow.provider().keys().contains_kid(&kid));
            let again = token(&flow, &good()).await.expect("cached token");
            assert_eq!(again.upstream_value, cached.upstream_value);
            assert_eq!(stub.count(Endpoint::Token), 1, "{behaviour:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_whose_key_was_rotated_out_is_fetched_again() {
    within(async {
        let (stub, flow) = setup(Knobs::default()).await;
        let old = token(&flow, &good()).await.expect("token");
        assert_eq!(flow::kid_of(&old), "stub-key-1");

        stub.rotate_key(mint::SigningKey::generate("stub-key-2", 2048));
        flow.provider().refresh().await.expect("JWKS");
        assert!(!flow.provider().keys().contains_kid("stub-key-1"));

        let new = token(&flow, &good()).await.expect("new token");
        assert_eq!(stub.count(Endpoint::Token), 2);
        assert_eq!(flow::kid_of(&new), "stub-key-2");
        assert_ne!(new.upstream_value, old.upstream_value);
    })
    .await;
}
