//! The web shell over real HTTP, on every backend of this run.

use minzheng_store::testing::{databases, empty_databases};
use minzheng_web::testing::{TestServer, get, request};
use minzheng_web::{AppState, WebConfig, routes, with_middleware};

#[test]
fn health_readiness_home_and_errors_speak_chinese() {
    for t in databases("http_shell") {
        let server = TestServer::start(t.db.clone());
        let addr = server.addr;
        let label = t.label;
        {
            let r = get(addr, "/healthz");
            assert_eq!(
                (r.status, r.json()["status"].as_str()),
                (200, Some("ok")),
                "{label}"
            );
            let r = get(addr, "/readyz");
            assert_eq!(
                (r.status, r.json()["status"].as_str()),
                (200, Some("ready")),
                "{label}"
            );

            let home = get(addr, "/");
            assert_eq!(home.status, 200);
            let html = home.text();
            assert!(
                html.contains("lang=\"zh-CN\"") && html.contains("民政综合服务平台"),
                "{label}"
            );
            for area in minzheng_web::AREAS {
                assert!(
                    html.contains(&format!("href=\"/{}\"", area.id)),
                    "{label}: nav lacks {}",
                    area.id
                );
            }
            assert!(home.header("x-request-id").is_some_and(|v| v.len() == 36));
            let csp = home.header("content-security-policy").unwrap();
            assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
            assert!(
                !csp.split(';')
                    .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline"))
            );
            assert_eq!(home.header("x-frame-options"), Some("DENY"));
            assert_eq!(home.header("x-content-type-options"), Some("nosniff"));

            // An area not built yet still has its entry page, and says so plainly.
            let area = get(addr, "/society");
            assert_eq!(area.status, 200);
            assert!(
                area.text().contains("社会组织") && area.text().contains("尚未上线"),
                "{label}"
            );

            let missing = get(addr, "/no/such/page");
            assert_eq!(missing.status, 404);
            assert!(missing.text().contains("页面不存在"), "{label}");

            let sign_in = get(addr, "/sign-in");
            assert!(sign_in.text().contains("工作人员登录"));
            let refused = request(
                addr,
                "POST",
                "/sign-in",
                &[("content-type", "application/x-www-form-urlencoded")],
                b"username=a&password=b",
            );
            assert_eq!(
                refused.status, 403,
                "{label}: a form post without the CSRF token"
            );
            assert!(refused.text().contains("请求已失效"));

            let root = get(addr, "/api/v1").json();
            assert_eq!(root["name"], "minzheng");
            let doc = get(addr, "/api/openapi.json").json();
            for path in ["/api/v1", "/healthz", "/readyz"] {
                assert!(
                    doc["paths"][path].is_object(),
                    "{label}: OpenAPI lacks {path}"
                );
            }
            let docs = get(addr, "/api/docs").text();
            assert!(docs.contains("/assets/vendor/swagger-ui-bundle.js") && !docs.contains("cdn"));
            let js = request(
                addr,
                "GET",
                "/assets/vendor/htmx.min.js",
                &[("accept-encoding", "gzip")],
                b"",
            );
            assert_eq!(
                (js.status, js.header("content-encoding")),
                (200, Some("gzip"))
            );
        }
    }
}

#[test]
fn an_unmigrated_database_is_not_ready() {
    for t in empty_databases("http_unready") {
        let server = TestServer::start(t.db.clone());
        let r = get(server.addr, "/readyz");
        assert_eq!(r.status, 503, "{}", t.label);
        assert_eq!(r.json()["status"], "not_ready");
    }
}

async fn boom() -> &'static str {
    panic!("deliberate")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_panics_get_clear_answers() {
    let t = minzheng_store::testing::sqlite_empty("http_limits");
    let config = WebConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_body_bytes: 1024,
        ..WebConfig::default()
    };
    let state = AppState::new(t.db.clone(), config);
    let app = with_middleware(
        routes().route("/boom", axum::routing::get(boom)).route(
            "/api/test/echo",
            axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        ),
        state,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let (boom, big, small) = tokio::task::spawn_blocking(move || {
        (
            get(addr, "/boom"),
            request(addr, "POST", "/api/test/echo", &[], &vec![b'x'; 4096]),
            request(addr, "POST", "/api/test/echo", &[], b"12345"),
        )
    })
    .await
    .unwrap();
    assert_eq!(boom.status, 500);
    assert!(boom.text().contains("系统出错了"));
    assert_eq!(big.status, 413);
    assert_eq!((small.status, small.text()), (200, "5".to_owned()));
    server.abort();
}

async fn upload_route(
    axum::extract::State(state): axum::extract::State<AppState>,
    body: axum::body::Body,
) -> Result<axum::Json<minzheng_store::attachments::AttachmentMeta>, minzheng_web::WebError> {
    let policy = minzheng_store::attachments::AttachmentPolicy {
        max_bytes: 600 * 1024,
        allowed: vec!["image/png"],
    };
    let ctx = minzheng_store::audit::AuditContext::system("upload-test");
    minzheng_web::upload::receive(&state, body, "照片.png".into(), ctx, policy)
        .await
        .map(axum::Json)
}

#[test]
fn uploads_stream_into_the_attachment_store_and_refusals_leave_nothing() {
    for t in databases("http_upload") {
        let config = WebConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_body_bytes: 4 * 1024 * 1024,
            ..WebConfig::default()
        };
        let state = AppState::new(t.db.clone(), config);
        let app = with_middleware(
            routes().route("/api/test/upload", axum::routing::post(upload_route)),
            state,
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, app).await });

        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend((0..300 * 1024).map(|i| (i % 7) as u8));
        let ok = request(addr, "POST", "/api/test/upload", &[], &png);
        assert_eq!(ok.status, 200, "{}: {}", t.label, ok.text());
        assert_eq!(ok.json()["size_bytes"], png.len() as u64);
        assert_eq!(ok.json()["content_type"], "image/png");

        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.extend(std::iter::repeat_n(1_u8, 2 * 1024 * 1024));
        let refused = request(addr, "POST", "/api/test/upload", &[], &big);
        assert_eq!(refused.status, 400, "{}", t.label);
        assert!(refused.text().contains("文件过大"), "{}", refused.text());
        let wrong = request(
            addr,
            "POST",
            "/api/test/upload",
            &[],
            b"<html>not a photo</html>",
        );
        assert_eq!(wrong.status, 400);
        assert!(wrong.text().contains("不支持的文件类型"));

        let (files, chunks): (i64, i64) = t
            .read(|tx| {
                let f = tx
                    .query_one("SELECT COUNT(*) FROM attachment", minzheng_store::params![])?
                    .get(0)?;
                let c = tx
                    .query_one(
                        "SELECT COUNT(*) FROM attachment_chunk",
                        minzheng_store::params![],
                    )?
                    .get(0)?;
                Ok::<_, minzheng_store::StoreError>((f, c))
            })
            .unwrap();
        assert_eq!((files, chunks), (1, 2), "{}", t.label);
        rt.shutdown_background();
    }
}
