use super::*;
use std::ffi::OsStr;

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    assert!(colour(true, None));
    assert!(!colour(false, None));
    assert!(!colour(true, Some(OsStr::new("1"))));
    // NO_COLOR set but empty does not count (no-color.org).
    assert!(colour(true, Some(OsStr::new(""))));
}

#[test]
fn transport_crates_stay_at_info_unless_named() {
    let f = filter(Some("debug"), "info").to_string();
    assert!(f.contains("h2=info"), "{f}");
    assert!(f.contains("hyper=info"), "{f}");
    let f = filter(Some("debug,h2=trace"), "info").to_string();
    assert!(f.contains("h2=trace") && !f.contains("h2=info"), "{f}");
    let f = filter(None, "info").to_string();
    assert!(f.split(",").any(|d| d == "info"), "{f}");
}

#[test]
fn the_postgres_driver_never_logs_below_info_where_it_prints_query_parameters() {
    for rust_log in [
        "debug",
        "trace,tokio_postgres=trace",
        "info,tokio_postgres::query=debug",
    ] {
        let f = filter(Some(rust_log), "info").to_string();
        assert!(f.contains("tokio_postgres=info"), "{f}");
        assert!(
            !f.contains("tokio_postgres=trace") && !f.contains("tokio_postgres::query"),
            "{f}"
        );
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(filter(Some(rust_log), "info"));
        tracing::subscriber::with_default(subscriber, || {
            assert!(!tracing::enabled!(target: "tokio_postgres::query", tracing::Level::DEBUG));
            assert!(tracing::enabled!(target: "tokio_postgres::query", tracing::Level::INFO));
        });
    }
}

#[test]
fn a_client_request_id_is_kept_and_a_bad_one_replaced() {
    let good = http::HeaderValue::from_static("req-42");
    assert_eq!(request_id::take_or_generate(Some(&good)), good);
    let spaced = http::HeaderValue::from_static("has space");
    assert_ne!(request_id::take_or_generate(Some(&spaced)), spaced);
    let long = http::HeaderValue::from_str(&"x".repeat(200)).unwrap();
    assert_eq!(request_id::take_or_generate(Some(&long)).len(), 36);
    assert_eq!(request_id::take_or_generate(None).len(), 36);
}
