//! The TLS options of a connection string, found the way tokio-postgres finds every other
//! option, so that the two readings cannot disagree: in a URL, the query after the
//! credentials (which end at the first `@`), keys and values percent-decoded as the driver
//! decodes them; in a key=value string, libpq's quoting and escapes. The driver does not
//! read `sslrootcert`, nor `verify-ca`/`verify-full`: they are taken out here, the rest is
//! left for it as written.

pub(crate) struct TlsOptions {
    /// The string without them, for the driver.
    pub rest: String,
    pub mode: Option<String>,
    pub root_cert: Option<String>,
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query or a key=value string. The query
/// is found where the driver finds it (after the credentials, which end at the first `@`),
/// and keys and values are percent-decoded as it decodes them; key=value strings are split
/// by libpq's rules (quoted values, backslash escapes).
pub(crate) fn take_tls_options(text: &str) -> TlsOptions {
    let mut found = TlsOptions { rest: String::new(), mode: None, root_cert: None };
    let mut take = |key: &str, value: String| match key {
        "sslmode" => {
            found.mode = Some(value);
            true
        }
        "sslrootcert" => {
            found.root_cert = Some(value);
            true
        }
        _ => false,
    };
    let prefix = ["postgres://", "postgresql://"].into_iter().find(|p| text.starts_with(p));
    let rest = match prefix {
        Some(prefix) => {
            let after = &text[prefix.len()..];
            let credentials = after.find('@').map_or(0, |at| at + 1);
            match after[credentials..].find('?') {
                Some(q) => {
                    let (base, query) = text.split_at(prefix.len() + credentials + q);
                    let kept: Vec<&str> = query[1..]
                        .split('&')
                        .filter(|pair| {
                            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                            !take(&percent_decoded(key), percent_decoded(value))
                        })
                        .collect();
                    if kept.is_empty() {
                        base.to_owned()
                    } else {
                        format!("{base}?{}", kept.join("&"))
                    }
                }
                None => text.to_owned(),
            }
        }
        None => {
            let mut kept = Vec::new();
            for (key, value, raw) in key_values(text) {
                if !take(key, value) {
                    kept.push(raw);
                }
            }
            kept.join(" ")
        }
    };
    TlsOptions { rest, ..found }
}

/// A key=value connection string's parameters: each key, its value unquoted and unescaped,
/// and its text as written. What does not parse is kept whole for the driver to refuse.
fn key_values(text: &str) -> Vec<(&str, String, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= bytes.len() {
            return out;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let key = &text[start..i];
        skip_ws(&mut i);
        if i >= bytes.len() || bytes[i] != b'=' {
            out.push((key, String::new(), &text[start..]));
            return out;
        }
        i += 1;
        skip_ws(&mut i);
        let mut value = Vec::new();
        let quoted = i < bytes.len() && bytes[i] == b'\'';
        if quoted {
            i += 1;
        }
        while i < bytes.len() {
            let b = bytes[i];
            if (quoted && b == b'\'') || (!quoted && b.is_ascii_whitespace()) {
                break;
            }
            if b == b'\\' && i + 1 < bytes.len() {
                i += 1;
            }
            value.push(bytes[i]);
            i += 1;
        }
        if quoted && i < bytes.len() {
            i += 1;
        }
        out.push((key, String::from_utf8_lossy(&value).into_owned(), &text[start..i]));
    }
}

/// `%2F` and the like in a URL's query key or value, decoded as the driver decodes them.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(byte) =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
