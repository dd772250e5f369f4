//! Paging of lists the backend returns whole.
//!
//! The backend may answer getContacts/getThreads with a plain array (ECB cuts
//! the requested page) or with a page it cut itself (ECB checks it).

use serde::Deserialize;
use serde::de::DeserializeOwned;
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

/// Turns a backend answer (array or page) into a checked page of `T`.
pub fn from_backend<T: DeserializeOwned>(
    answer: Value,
    paging: PagingBase,
) -> Result<Paged<T>, EcbError> {
    let invalid = |e: serde_json::Error| EcbError::backend_invalid(format!("backend list: {e}"));
    match answer {
        Value::Array(_) => Ok(page(
            serde_json::from_value(answer).map_err(invalid)?,
            paging,
        )),
        Value::Object(_) => serde_json::from_value(answer).map_err(invalid),
        _ => Err(EcbError::backend_invalid(
            "backend list must be an array or a paged object",
        )),
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
}
