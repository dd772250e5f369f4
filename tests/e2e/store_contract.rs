//! The Store contract (`ecb_tests::store_contract`) against every Store ECB
//! ships: the local server's and the serverless deployment's.

use ecb_engine::store::MemoryStore;
use ecb_tests::{Dynalite, store_contract};

#[tokio::test]
async fn the_memory_store_keeps_the_store_contract() {
    store_contract(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_dynamo_store_keeps_the_store_contract() {
    let dynalite = Dynalite::start().await;
    let store = dynalite.store("ecb-store-test").await;
    store
        .ensure_table()
        .await
        .expect("creating the table again is fine");
    store_contract(&store).await;
}
