//! The web UI: static files embedded in the binary (read from `crates/server/ui` in debug
//! builds, so the UI can be worked on without rebuilding), served under [`UI_PREFIX`].
//!
//! The UI is a single page: every path under the prefix that names no file gets
//! `index.html`, which reads the path and draws the page, so links into the UI can be
//! shared. It talks to the API under `/api/v1` with the token the user gives it; the files
//! themselves need none. `/` redirects to the UI.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::Embed;

mod state_classes;

/// Where the UI is mounted.
pub const UI_PREFIX: &str = "/ui";

/// What the UI's pages may load and talk to: only this server.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

#[derive(Embed)]
#[folder = "ui/"]
struct Assets;

/// The UI's routes, and `/` sending browsers to it.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route(UI_PREFIX, get(|| async { Redirect::to("/ui/") }))
        .route(
            "/ui/",
            get(|headers: HeaderMap| async move { asset("index.html", &headers) }),
        )
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move {
                page_or_asset(&path, &headers)
            }),
        )
}

/// Endings of the files the UI is made of: a missing one of these is a 404, not a page.
const FILE_ENDINGS: &[&str] = &[
    ".js", ".mjs", ".css", ".html", ".svg", ".png", ".ico", ".json", ".map", ".txt", ".woff2",
];

/// The file at `path`; any other path is a page of the UI (a run id has dots in it), answered
/// with `index.html`; a missing file is a 404.
fn page_or_asset(path: &str, headers: &HeaderMap) -> Response {
    if Assets::get(path).is_some() {
        return asset(path, headers);
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if FILE_ENDINGS.iter().any(|ending| last.ends_with(ending)) {
        return asset(path, headers);
    }
    asset("index.html", headers)
}

fn asset(path: &str, headers: &HeaderMap) -> Response {
    if path == state_classes::PATH {
        let (text, hash) = &*state_classes::MODULE;
        return file(text.as_bytes(), "text/javascript", hash, headers);
    }
    let Some(embedded) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, format!("no file {UI_PREFIX}/{path}")).into_response();
    };
    file(
        &embedded.data,
        embedded.metadata.mimetype(),
        &embedded.metadata.sha256_hash(),
        headers,
    )
}

/// A file of the UI with its type and hash (its ETag), or 304 when the browser has it.
fn file(data: &[u8], mime: &str, sha256: &[u8; 32], headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(sha256));
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        data.to_vec().into_response()
    };
    let response_headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(mime) {
        response_headers.insert(header::CONTENT_TYPE, mime);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, etag);
    }
    // Revalidated on every load, so a new binary's UI is seen at once.
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response_headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response_headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::*;

    async fn get(uri: &str, etag: Option<&str>) -> Response {
        let mut request = Request::get(uri);
        if let Some(tag) = etag {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        routes::<()>()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible")
    }

    #[tokio::test]
    async fn pages_get_the_index_and_files_are_served_as_they_are() {
        let root = get("/", None).await;
        assert_eq!(root.status(), StatusCode::SEE_OTHER);
        assert_eq!(root.headers()[header::LOCATION], "/ui/");

        let index = get("/ui/", None).await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(index.headers()[header::CONTENT_TYPE], "text/html");
        let csp = index.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("text");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        let etag = index.headers()[header::ETAG]
            .to_str()
            .expect("text")
            .to_owned();

        // A page of the UI is the index, so a shared link opens it, run ids with dots too.
        for uri in [
            "/ui/dags/etl/grid",
            "/ui/dags/etl/runs/manual__2026-01-01T00:00:00.5+00:00",
        ] {
            let page = get(uri, None).await;
            assert_eq!(page.status(), StatusCode::OK, "{uri}");
            assert_eq!(page.headers()[header::ETAG], etag.as_str(), "{uri}");
        }

        assert_eq!(
            get("/ui/", Some(&etag)).await.status(),
            StatusCode::NOT_MODIFIED
        );
        // The module of states is made by the server, served as the other scripts are.
        let made = get("/ui/state-classes.js", None).await;
        assert_eq!(made.status(), StatusCode::OK);
        let script = get("/ui/states.js", None).await;
        assert_eq!(
            made.headers()[header::CONTENT_TYPE],
            script.headers()[header::CONTENT_TYPE]
        );
        let made_etag = made.headers()[header::ETAG]
            .to_str()
            .expect("text")
            .to_owned();
        assert_eq!(
            get("/ui/state-classes.js", Some(&made_etag)).await.status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            get("/ui/no-such-file.js", None).await.status(),
            StatusCode::NOT_FOUND
        );
        // A path out of the UI's folder is a page, never a file from elsewhere.
        for uri in [
            "/ui/../Cargo.toml",
            "/ui/../src/ui.rs",
            "/ui/%2e%2e/Cargo.toml",
        ] {
            let outside = get(uri, None).await;
            assert_eq!(outside.headers()[header::ETAG], etag.as_str(), "{uri}");
        }
        assert_eq!(
            get("/ui/../style.css.map", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
