//! The DynamoDB Store against a DynamoDB-compatible server (dynalite).

use aws_sdk_dynamodb::types::AttributeValue;
use ecb_aws::DynamoStore;
use ecb_engine::ports::{ConnectionRecord, Member, Store};
use ecb_engine::protocol::models::User;
use ecb_tests::Dynalite;

fn record(id: &str, user: &str) -> ConnectionRecord {
    ConnectionRecord {
        connection_id: id.into(),
        user: User {
            user_id: user.into(),
            display_name: Some(user.to_uppercase()),
            data: None,
        },
        user_token: format!("token-of-{user}").into(),
        token_expires_at: 4_000_000_000,
        endpoint: "https://api.example/prod".into(),
        connected_at: ecb_engine::unix_now(),
        wire: Default::default(),
    }
}

async fn store(dynalite: &Dynalite) -> DynamoStore {
    let store = DynamoStore::connect("ecb-store-test", Some(&dynalite.url)).await;
    store.ensure_table().await.expect("table");
    store
        .ensure_table()
        .await
        .expect("creating it twice is fine");
    store
}

#[tokio::test]
async fn every_store_operation_round_trips() {
    let dynalite = Dynalite::start().await;
    let store = store(&dynalite).await;
    let (a, b, c) = (
        record("a", "alice"),
        record("b", "bob"),
        record("c", "alice"),
    );
    for r in [&a, &b, &c] {
        store.put_connection(r).await.unwrap();
    }
    assert_eq!(store.get_connection("a").await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_connection("nobody").await.unwrap(), None);

    store.join("t1", &a.member()).await.unwrap();
    store.join("t1", &a.member()).await.unwrap(); // idempotent
    store.join("t1", &b.member()).await.unwrap();
    store.join("t2", &a.member()).await.unwrap();
    let mut members: Vec<Member> = store.members("t1").await.unwrap();
    members.sort_by(|x, y| x.connection_id.cmp(&y.connection_id));
    assert_eq!(members, vec![a.member(), b.member()]);

    let mut alices: Vec<String> = store
        .connections_of_user("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.connection_id)
        .collect();
    alices.sort();
    assert_eq!(alices, ["a", "c"]);

    assert!(store.leave("t1", "b").await.unwrap());
    assert!(!store.leave("t1", "b").await.unwrap());
    assert_eq!(store.members("t1").await.unwrap(), vec![a.member()]);

    let mut threads = store.remove_connection("a").await.unwrap();
    threads.sort();
    assert_eq!(threads, ["t1", "t2"]);
    assert_eq!(store.get_connection("a").await.unwrap(), None);
    assert!(store.members("t1").await.unwrap().is_empty());
    assert!(store.members("t2").await.unwrap().is_empty());
    let left: Vec<String> = store
        .connections_of_user("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.connection_id)
        .collect();
    assert_eq!(left, ["c"]);
    assert_eq!(
        store.remove_connection("a").await.unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn every_item_carries_the_ttl_attribute() {
    let dynalite = Dynalite::start().await;
    let store = store(&dynalite).await;
    let r = record("x", "xena");
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
    let store = store(&dynalite).await;
    for i in 0..300 {
        let r = record(&format!("c{i:03}"), &format!("user{i}"));
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
