//! The Store contract: what the engine relies on from every `ports::Store`,
//! written once and run against each implementation (`MemoryStore`,
//! `DynamoStore`), so the local server and the serverless deployment keep
//! the same books. A new store passes it before the engine runs on it.

use ecb_engine::ports::{ConnectionRecord, Member, Store};
use ecb_engine::protocol::models::User;
use ecb_engine::protocol::wire::Wire;

/// A connection record of `user` with every field filled, so a round trip
/// that drops one shows.
pub fn connection_record(id: &str, user: &str) -> ConnectionRecord {
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
        wire: Wire::Ecb,
    }
}

/// Runs every Store operation on an empty `store` and checks each answer:
/// records round-trip, joins are idempotent, leaves say whether they left,
/// a user's connections are found, and removing a connection ends all its
/// memberships and names the threads it was in. Panics at the first breach.
pub async fn store_contract(store: &dyn Store) {
    // One connection speaks Socket.IO through API Gateway: its wire must
    // come back with its record and its memberships.
    let (a, b, c) = (
        connection_record("a", "alice"),
        ConnectionRecord {
            wire: Wire::SocketIo,
            ..connection_record("b", "bob")
        },
        connection_record("c", "alice"),
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
    assert!(store.members("never-joined").await.unwrap().is_empty());

    assert_eq!(connection_ids_of(store, "alice").await, ["a", "c"]);

    assert!(store.leave("t1", "b").await.unwrap());
    assert!(!store.leave("t1", "b").await.unwrap());
    assert!(!store.leave("never-joined", "a").await.unwrap());
    assert_eq!(store.members("t1").await.unwrap(), vec![a.member()]);

    let mut threads = store.remove_connection("a").await.unwrap();
    threads.sort();
    assert_eq!(threads, ["t1", "t2"]);
    assert_eq!(store.get_connection("a").await.unwrap(), None);
    assert!(store.members("t1").await.unwrap().is_empty());
    assert!(store.members("t2").await.unwrap().is_empty());
    assert_eq!(connection_ids_of(store, "alice").await, ["c"]);
    assert_eq!(
        store.remove_connection("a").await.unwrap(),
        Vec::<String>::new()
    );
}

/// A user's connection ids, sorted: stores list them in no promised order.
async fn connection_ids_of(store: &dyn Store, user_id: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .connections_of_user(user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|member| member.connection_id)
        .collect();
    ids.sort();
    ids
}
