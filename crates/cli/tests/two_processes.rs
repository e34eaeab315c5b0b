//! Two `minzheng serve` processes on different ports over one database act as one system:
//! sessions are shared and each queued message is delivered by exactly one of them.

use minzheng_store::testing::{TestDb, databases};
use minzheng_store::{DatabaseUrl, params};
use minzheng_web::testing::{Browser, get, request};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(t: &TestDb, url: &str, port: u16, dir: &std::path::Path) -> (Serve, SocketAddr) {
    let child = Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .current_dir(dir)
        .env_remove("MINZHENG_DATABASE_URL")
        .env("MINZHENG_AUDIT_KEY_FILE", t.audit_key_file())
        .args([
            "--database-url",
            url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if std::net::TcpStream::connect(addr).is_ok() && get(addr, "/readyz").status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "instance on {port} not ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Serve(child), addr)
}

#[test]
fn two_serve_processes_share_sessions_and_deliver_each_message_once() {
    for t in databases("two_processes") {
        let url = match t.db.url() {
            DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
        };
        let dir = std::env::temp_dir().join(format!("mz-two-{}-{}", t.label, std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (_a, a) = serve(&t, &url, free_port(), &dir);
        let (_b, b) = serve(&t, &url, free_port(), &dir);

        // A citizen asks instance A for a code and signs in on instance B.
        let mut on_a = Browser::new(a);
        on_a.get("/citizen/sign-in");
        let r = on_a.post_form("/citizen/code", &[("phone", "13700000001")]);
        assert_eq!(r.status, 200, "{}: {}", t.label, r.text());
        let body: String = t
            .read(|tx| {
                tx.query_one(
                    "SELECT body FROM notification WHERE recipient = '13700000001'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        let code: String = body
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(6)
            .collect();
        let csrf = on_a.cookie("mz_csrf").unwrap().to_owned();
        let form = format!("phone=13700000001&code={code}&_csrf={csrf}");
        let signed = request(
            b,
            "POST",
            "/citizen/sign-in",
            &[
                ("cookie", &format!("mz_csrf={csrf}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        );
        assert_eq!(signed.status, 303, "{}: {}", t.label, signed.text());
        let session = signed
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .and_then(|kv| kv.strip_prefix("mz_session="))
            .unwrap()
            .to_owned();
        let on_a_again = request(
            a,
            "GET",
            "/citizen",
            &[("cookie", &format!("mz_session={session}"))],
            b"",
        );
        assert_eq!(
            on_a_again.status, 200,
            "{}: A honours the session B opened",
            t.label
        );

        // Queue messages directly and let both instances' workers deliver them.
        let now = chrono::Utc::now();
        let ctx = minzheng_store::audit::AuditContext::system("test");
        t.write(|tx| {
            for i in 0..50 {
                minzheng_access::notify::enqueue(
                    tx,
                    &ctx,
                    minzheng_access::notify::Channel::Sms,
                    "13700000002",
                    "通知",
                    &format!("{i}"),
                    now,
                )?;
            }
            Ok::<_, minzheng_access::AccessError>(())
        })
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (queued, twice): (i64, i64) = t
                .read(|tx| {
                    let q = tx
                        .query_one(
                            "SELECT COUNT(*) FROM notification WHERE status <> 'sent'",
                            params![],
                        )?
                        .get(0)?;
                    let d = tx
                        .query_one(
                            "SELECT COUNT(*) FROM notification WHERE attempts <> 1",
                            params![],
                        )?
                        .get(0)?;
                    Ok::<_, minzheng_store::StoreError>((q, d))
                })
                .unwrap();
            if queued == 0 {
                assert_eq!(
                    twice, 0,
                    "{}: every message delivered in exactly one attempt",
                    t.label
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {queued} messages still queued",
                t.label
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
