//! What the DynamoDB Store promises beyond the Store contract (which
//! e2e/store_contract.rs runs on it): the TTL on every item and one Query
//! per fan-out. Against dynalite, a DynamoDB-compatible server.

use aws_sdk_dynamodb::types::AttributeValue;
use ecb_engine::ports::Store;
use ecb_tests::{Dynalite, connection_record};

#[tokio::test]
async fn every_item_carries_the_ttl_attribute() {
    let dynalite = Dynalite::start().await;
    let store = dynalite.store("ecb-store-test").await;
    let r = connection_record("x", "xena");
    store.put_connection(&r).await.unwrap();
    store.join("t", &r.member()).await.unwrap();
    let sdk = ecb_aws::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&dynalite.url)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "l", "l", None, None, "t",
            ))
            .build(),
    );
    let items = client
        .scan()
        .table_name("ecb-store-test")
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(
        items.len(),
        4,
        "META, user edge, channel edge, reverse edge"
    );
    for item in &items {
        let Some(AttributeValue::N(expires)) = item.get("expiresAt") else {
            panic!("no expiresAt on {item:?}");
        };
        let expires: u64 = expires.parse().unwrap();
        // Past the two hours API Gateway keeps a connection, not much more.
        let now = ecb_engine::unix_now();
        assert!(
            expires > now + 2 * 3600 - 60 && expires < now + 3 * 3600,
            "{expires}"
        );
    }
}

#[tokio::test]
async fn a_thread_of_hundreds_is_read_with_one_query() {
    let dynalite = Dynalite::start().await;
    let store = dynalite.store("ecb-store-test").await;
    for i in 0..300 {
        let r = connection_record(&format!("c{i:03}"), &format!("user{i}"));
        store.join("big", &r.member()).await.unwrap();
    }
    let before = store.calls().count("Query");
    let members = store.members("big").await.unwrap();
    assert_eq!(members.len(), 300);
    assert_eq!(
        store.calls().count("Query") - before,
        1,
        "{:?}",
        store.calls().snapshot()
    );
}
