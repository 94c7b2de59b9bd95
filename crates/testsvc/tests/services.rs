//! The private services start, hand out separate databases and prefixes, and come back after
//! a stop.

use std::process::Command;

#[test]
fn each_postgres_url_is_a_separate_empty_database() {
    let (Some(a), Some(b)) = (bushbuck_testsvc::postgres_url(), bushbuck_testsvc::postgres_url()) else {
        return;
    };
    assert_ne!(a, b);
    let mut first = postgres::Client::connect(&a, postgres::NoTls).unwrap();
    first.batch_execute("CREATE TABLE only_here (n int); INSERT INTO only_here VALUES (7)").unwrap();
    let n: i32 = first.query_one("SELECT n FROM only_here", &[]).unwrap().get(0);
    assert_eq!(n, 7);
    let mut second = postgres::Client::connect(&b, postgres::NoTls).unwrap();
    let tables: i64 =
        second.query_one("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'", &[]).unwrap().get(0);
    assert_eq!(tables, 0, "a fresh database must not see another test's tables");
}

#[test]
fn postgres_comes_back_after_stop_with_its_data() {
    let Some(service) = bushbuck_testsvc::postgres_service() else { return };
    let url = service.fresh_database();
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        .unwrap();
    service.stop();
    assert!(postgres::Client::connect(&url, postgres::NoTls).is_err(), "the server must be down");
    service.start();
    let n: i32 = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .query_one("SELECT n FROM kept", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 42);
}

#[test]
fn s3_targets_are_separate_prefixes_of_a_live_endpoint() {
    let (Some(a), Some(b)) = (bushbuck_testsvc::s3(), bushbuck_testsvc::s3()) else { return };
    assert_ne!(a.url, b.url);
    assert!(!a.access_key.is_empty() && !a.secret_key.is_empty());
    let endpoint = a.url.split("endpoint=").nth(1).unwrap().split('&').next().unwrap();
    // An unsigned request reaches Garage's S3 API, which answers (with an error) rather than
    // refusing the connection.
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", endpoint])
        .output()
        .unwrap();
    let code = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(code.starts_with('4'), "Garage's S3 endpoint {endpoint} answered {code}");
}

#[test]
fn garage_comes_back_after_stop() {
    let Some(service) = bushbuck_testsvc::garage_service() else { return };
    let target = service.fresh_prefix();
    let endpoint = target.url.split("endpoint=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let status = || {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &endpoint])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    service.stop();
    assert_eq!(status(), "000", "nothing must answer while Garage is stopped");
    service.start();
    assert!(status().starts_with('4'), "Garage must answer again after start");
}
