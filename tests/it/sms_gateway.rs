//! The HTTP SMS gateway adapter against a real HTTP server playing the gateway: success, retries on
//! server errors, no retry on refusals, timeouts.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use yimen::config::SmsHttpConfig;
use yimen::identity::phone::PhoneNumber;
use yimen::secret::SecretString;
use yimen::sms::{HttpGateway, Message, SmsError, SmsSender};

/// What the gateway received: the Authorization header and the JSON body of each request.
type Received = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

#[derive(Clone, Default)]
struct Gateway {
    /// (status, delay) for each successive request; the last repeats.
    script: Arc<Vec<(u16, u64)>>,
    received: Received,
}

async fn receive(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> StatusCode {
    let index = {
        let mut received = gateway.received.lock().unwrap();
        received.push((headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned), body));
        received.len() - 1
    };
    let (status, delay) = gateway.script[index.min(gateway.script.len() - 1)];
    tokio::time::sleep(Duration::from_millis(delay)).await;
    StatusCode::from_u16(status).unwrap()
}

async fn start(script: Vec<(u16, u64)>) -> (HttpGateway, Gateway) {
    let gateway = Gateway { script: Arc::new(script), ..Gateway::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/send", post(receive)).with_state(gateway.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let config = SmsHttpConfig {
        url,
        bearer_token: Some(SecretString::new("gateway-token")),
        timeout_ms: 300,
        retries: 2,
        retry_backoff_ms: 10,
        ..SmsHttpConfig::default()
    };
    (HttpGateway::new(config).unwrap(), gateway)
}

fn message() -> Message {
    Message {
        to: PhoneNumber::parse("13800138000").unwrap(),
        template: "one_time_code",
        params: vec![("code", "123456".to_owned())],
        text: "验证码 123456".to_owned(),
    }
}

#[tokio::test]
async fn a_message_is_posted_with_credentials() {
    let (sender, gateway) = start(vec![(200, 0)]).await;
    sender.send(&message()).await.unwrap();
    let received = gateway.received.lock().unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0.as_deref(), Some("Bearer gateway-token"));
    assert_eq!(received[0].1["to"], "+8613800138000");
    assert_eq!(received[0].1["params"]["code"], "123456");
    assert_eq!(sender.name(), "http");
}

#[tokio::test]
async fn server_errors_are_retried_and_refusals_are_not() {
    let (sender, gateway) = start(vec![(503, 0), (500, 0), (200, 0)]).await;
    sender.send(&message()).await.expect("the third attempt succeeds");
    assert_eq!(gateway.received.lock().unwrap().len(), 3);

    let (sender, gateway) = start(vec![(400, 0)]).await;
    assert!(matches!(sender.send(&message()).await, Err(SmsError::Refused(_))));
    assert_eq!(gateway.received.lock().unwrap().len(), 1, "a refusal is final");

    let (sender, gateway) = start(vec![(500, 0)]).await;
    assert!(matches!(sender.send(&message()).await, Err(SmsError::Refused(_))));
    assert_eq!(gateway.received.lock().unwrap().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn a_slow_gateway_times_out() {
    let (sender, gateway) = start(vec![(200, 1_000)]).await;
    assert!(matches!(sender.send(&message()).await, Err(SmsError::Timeout)));
    assert_eq!(gateway.received.lock().unwrap().len(), 3);
}
