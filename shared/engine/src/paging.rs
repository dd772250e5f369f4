//! Paging of lists the backend returns whole.
//!
//! The backend may answer getContacts/getThreads with a plain array (ECB cuts
//! the requested page) or with a page it cut itself (ECB checks it).

use serde::Deserialize;
use serde_json::Value;

use crate::EcbError;
use crate::protocol::models::{Paged, PagingBase};

/// The page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 500;

/// A client's paging request, with defaults for what it left out.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PagingRequest {
    #[serde(default)]
    page_start_index: Option<u64>,
    #[serde(default)]
    page_size: Option<u64>,
}

/// Reads and checks the paging of a getContacts/getThreads payload.
pub fn requested(payload: &Value) -> Result<PagingBase, EcbError> {
    let request: PagingRequest = serde_json::from_value(payload.clone()).map_err(|_| {
        EcbError::bad_request("pageStartIndex and pageSize must be non-negative integers")
    })?;
    let paging = PagingBase {
        page_start_index: request.page_start_index.unwrap_or(0),
        page_size: request.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
    };
    if paging.page_size == 0 || paging.page_size > MAX_PAGE_SIZE {
        return Err(EcbError::bad_request(format!(
            "pageSize must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    Ok(paging)
}

/// Cuts `paging` out of a whole list.
pub fn page<T>(items: Vec<T>, paging: PagingBase) -> Paged<T> {
    let total = items.len() as u64;
    let start = paging.page_start_index.min(total);
    let end = start.saturating_add(paging.page_size).min(total);
    let previous_page = (paging.page_start_index > 0).then(|| PagingBase {
        page_start_index: paging.page_start_index.saturating_sub(paging.page_size),
        page_size: paging.page_size,
    });
    let next_page = (end < total).then_some(PagingBase {
        page_start_index: end,
        page_size: paging.page_size,
    });
    Paged {
        page_start_index: paging.page_start_index,
        page_size: paging.page_size,
        items: items
            .into_iter()
            .skip(start as usize)
            .take((end - start) as usize)
            .collect(),
        previous_page,
        next_page,
    }
}

/// Turns a backend answer into the page the client gets: a whole array is
/// cut to the requested page, a page the backend cut itself passes through
/// as it is (its extra fields too). `check` vets each item ECB hands on.
pub fn from_backend(
    answer: Value,
    paging: PagingBase,
    check: impl Fn(&Value) -> Result<(), EcbError>,
) -> Result<Value, EcbError> {
    let items = match &answer {
        Value::Array(items) => items,
        Value::Object(page) => match page.get("items") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(EcbError::backend_invalid(
                    "backend page must have an `items` array",
                ));
            }
        },
        _ => {
            return Err(EcbError::backend_invalid(
                "backend list must be an array or a paged object",
            ));
        }
    };
    items.iter().try_for_each(check)?;
    match answer {
        Value::Array(items) => serde_json::to_value(page(items, paging))
            .map_err(|e| EcbError::internal(format!("encoding page: {e}"))),
        paged => Ok(paged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base(start: u64, size: u64) -> PagingBase {
        PagingBase {
            page_start_index: start,
            page_size: size,
        }
    }

    #[test]
    fn pages_link_to_their_neighbours() {
        let first = page((0..5).collect::<Vec<_>>(), base(0, 2));
        assert_eq!(first.items, vec![0, 1]);
        assert_eq!(first.previous_page, None);
        assert_eq!(first.next_page, Some(base(2, 2)));
        let last = page((0..5).collect::<Vec<_>>(), base(4, 2));
        assert_eq!(last.items, vec![4]);
        assert_eq!(last.previous_page, Some(base(2, 2)));
        assert_eq!(last.next_page, None);
        let beyond = page((0..5).collect::<Vec<_>>(), base(9, 2));
        assert!(beyond.items.is_empty());
        assert_eq!(beyond.next_page, None);
    }

    #[test]
    fn paging_requests_are_checked() {
        assert_eq!(requested(&json!({})).unwrap(), base(0, DEFAULT_PAGE_SIZE));
        assert_eq!(
            requested(&json!({"pageStartIndex": 3, "pageSize": 4})).unwrap(),
            base(3, 4)
        );
        assert!(requested(&json!({"pageSize": 0})).is_err());
        assert!(requested(&json!({"pageStartIndex": -1})).is_err());
        assert!(requested(&json!({"pageSize": "ten"})).is_err());
    }

    #[test]
    fn backend_lists_are_paged_and_backend_pages_pass_through() {
        let any = |_: &Value| Ok(());
        let cut = from_backend(json!([{"a": 1}, {"b": null}, 3]), base(1, 1), any).unwrap();
        assert_eq!(
            cut,
            json!({"pageStartIndex": 1, "pageSize": 1, "items": [{"b": null}],
                   "previousPage": {"pageStartIndex": 0, "pageSize": 1},
                   "nextPage": {"pageStartIndex": 2, "pageSize": 1}})
        );
        let theirs = json!({"items": [], "total": 0, "cursor": "abc"});
        assert_eq!(
            from_backend(theirs.clone(), base(0, 5), any).unwrap(),
            theirs
        );
        assert!(from_backend(json!({"items": {}}), base(0, 5), any).is_err());
        assert!(from_backend(json!("x"), base(0, 5), any).is_err());
        let refuse = |_: &Value| Err(EcbError::backend_invalid("no"));
        assert!(from_backend(json!([1]), base(0, 5), refuse).is_err());
    }
}
