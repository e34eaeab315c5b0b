//! The short message a page shows after a redirect ("已保存", or why a step was refused). It travels
//! in the URL (`?msg=…`), so any instance can show it, but a message is shown only when this server
//! wrote it for this visitor: the redirect that carries it is signed with the visitor's own CSRF
//! token (a secret only their browser and the server know), and the session layer drops `msg` and
//! `err` from any URL whose signature does not check. A link made by someone else, on a public page
//! or not, never puts their words into the official message box.

use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The query parameters that carry a message.
pub const MESSAGE_PARAMS: [&str; 2] = ["msg", "err"];
/// The query parameter that carries the signature.
pub const SIGNATURE_PARAM: &str = "msig";
/// The header htmx follows instead of `Location`.
pub const HX_REDIRECT: &str = "hx-redirect";

/// Marks a response whose redirect carries a message the session layer must sign.
#[derive(Debug, Clone)]
pub struct Pending;

/// Redirects to `to` (which may carry a query already) showing `msg` there.
pub fn redirect(to: &str, msg: &str) -> Response {
    let mut r = Redirect::to(&with_message(to, "msg", msg)).into_response();
    r.extensions_mut().insert(Pending);
    r
}

/// Like [`redirect`], for a form posted by htmx: the page follows `hx-redirect`, and `body` is
/// shown if it does not.
pub fn hx_redirect(to: &str, msg: &str, body: String) -> Response {
    let mut r = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&with_message(to, "msg", msg)) {
        r.headers_mut().insert(HX_REDIRECT, v);
    }
    r.extensions_mut().insert(Pending);
    r
}

fn with_message(to: &str, name: &str, msg: &str) -> String {
    let join = if to.contains('?') { '&' } else { '?' };
    format!("{to}{join}{name}={}", crate::auth::urlencode(msg))
}

fn signature(key: &str, target: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(b"minzheng-flash\0");
    mac.update(target.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// What a message URL's signature covers: its path and every message parameter, in order.
fn signed_part(uri: &Uri) -> Option<String> {
    let query = uri.query()?;
    // Most URLs carry no message: nothing to parse on every request.
    if !MESSAGE_PARAMS
        .iter()
        .any(|p| query.contains(&format!("{p}=")))
    {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let messages: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| MESSAGE_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if messages.is_empty() {
        return None;
    }
    Some(format!("{}\0{}", uri.path(), messages.join("\0")))
}

/// Signs the message of a redirect marked [`Pending`] with `key` (the visitor's CSRF token).
pub fn sign_response(resp: &mut Response, key: &str) {
    if resp.extensions_mut().remove::<Pending>().is_none() {
        return;
    }
    for name in [header::LOCATION.as_str(), HX_REDIRECT] {
        let Some(target) = resp.headers().get(name).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        let Ok(uri) = target.parse::<Uri>() else {
            continue;
        };
        let Some(part) = signed_part(&uri) else {
            continue;
        };
        let signed = format!("{target}&{SIGNATURE_PARAM}={}", signature(key, &part));
        if let Ok(v) = HeaderValue::from_str(&signed) {
            resp.headers_mut().insert(name, v);
        }
    }
}

/// The request's URI without its message parameters when they are not signed with `key`; `None`
/// when it may stay as it is.
pub fn strip_unsigned(uri: &Uri, key: &str) -> Option<Uri> {
    let part = signed_part(uri)?;
    let query = uri.query().unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let given = pairs
        .iter()
        .find(|(k, _)| k == SIGNATURE_PARAM)
        .map(|(_, v)| v.as_str());
    let expected = signature(key, &part);
    if !key.is_empty() && given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()))
    {
        return None;
    }
    let kept: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !MESSAGE_PARAMS.contains(&k.as_str()) && k != SIGNATURE_PARAM)
        .collect();
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    let path_and_query = if query.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{query}", uri.path())
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_location(to: &str, msg: &str, key: &str) -> String {
        let mut r = redirect(to, msg);
        sign_response(&mut r, key);
        r.headers()[header::LOCATION].to_str().unwrap().to_owned()
    }

    #[test]
    fn a_message_signed_for_the_visitor_stays_and_any_other_is_dropped() {
        let key = "visitor-token";
        let loc = signed_location("/assistance/notices?region=500103", "异议已提交", key);
        let uri: Uri = loc.parse().unwrap();
        assert_eq!(strip_unsigned(&uri, key), None, "{loc}");
        // Another visitor's key, an edited message, no signature: the message goes, the rest stays.
        let stripped = strip_unsigned(&uri, "someone-else").unwrap();
        assert_eq!(stripped.to_string(), "/assistance/notices?region=500103");
        let edited: Uri = loc.replace("msg=", "msg=%E8%AF%B7").parse().unwrap();
        assert!(strip_unsigned(&edited, key).is_some());
        let forged: Uri = "/?msg=%E8%AF%B7%E6%B1%87%E6%AC%BE&err=x".parse().unwrap();
        assert_eq!(strip_unsigned(&forged, key).unwrap().to_string(), "/");
        // A message moved to another page is not valid there.
        let moved: Uri = loc.replace("/assistance/notices", "/").parse().unwrap();
        assert!(strip_unsigned(&moved, key).is_some());
        // URLs without messages are left alone.
        let plain: Uri = "/benefits?month=2026-01".parse().unwrap();
        assert_eq!(strip_unsigned(&plain, key), None);
    }

    #[test]
    fn only_marked_redirects_are_signed() {
        let mut r = Redirect::to("/x?msg=hi").into_response();
        sign_response(&mut r, "k");
        assert_eq!(r.headers()[header::LOCATION], "/x?msg=hi");
    }
}
