//! PostgreSQL's `text` cannot hold U+0000, and JSON can carry one (`"\u0000"`). SQLite stores
//! such a delivery as it is; here every text column of it would fail, the delivery would get
//! a 503 on every retry and never be kept. So a delivery whose JSON holds a NUL in any string
//! is read as if each NUL were U+FFFD (the replacement character): its fields, ids and
//! metadata are stored and shown with "�" in its place, while the raw body (`bytea`) keeps the
//! bytes exactly as received.

use calleague_events::parse_delivery;
use calleague_store::IncomingDelivery;
use serde_json::Value;

/// `item`, readable into PostgreSQL's text columns.
pub(crate) fn storable(item: IncomingDelivery) -> IncomingDelivery {
    if !may_hold_nul(&item.body) {
        return item;
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(strip_bom(&item.body)) else { return item };
    if !replace_nul(&mut value) {
        return item;
    }
    let body = serde_json::to_vec(&value).expect("a JSON value serializes");
    match parse_delivery(&body) {
        Ok(parsed) => IncomingDelivery { parsed, ..item },
        // It parsed before; with only characters replaced it parses again.
        Err(_) => item,
    }
}

/// A cheap first look: a NUL in a JSON string is written `\u0000` (any case of hex digits).
fn may_hold_nul(body: &[u8]) -> bool {
    body.windows(6).any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|&b| b == b'0'))
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Replaces every NUL in `value`'s strings and object keys; true when there was one.
fn replace_nul(value: &mut Value) -> bool {
    const NUL: char = '\0';
    const REPLACEMENT: &str = "\u{FFFD}";
    match value {
        Value::String(s) if s.contains(NUL) => {
            *s = s.replace(NUL, REPLACEMENT);
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |any, v| replace_nul(v) | any),
        Value::Object(map) => {
            let mut any = false;
            if map.keys().any(|k| k.contains(NUL)) {
                let entries = std::mem::take(map);
                for (key, v) in entries {
                    map.insert(key.replace(NUL, REPLACEMENT), v);
                }
                any = true;
            }
            map.values_mut().fold(any, |any, v| replace_nul(v) | any)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_real_nul_is_replaced() {
        let mut v: Value = serde_json::from_str(r#"{"a\u0000b": ["x\u0000", "\\u0000 is text"], "n": 0}"#).unwrap();
        assert!(replace_nul(&mut v));
        assert_eq!(v, serde_json::json!({"a\u{FFFD}b": ["x\u{FFFD}", "\\u0000 is text"], "n": 0}));
        let mut plain: Value = serde_json::from_str(r#"{"a": "\\u0000"}"#).unwrap();
        assert!(!replace_nul(&mut plain), "an escaped backslash before u0000 is no NUL");
    }
}
