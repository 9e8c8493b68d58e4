//! Tests of the task settings and their WIT record.

use super::*;

#[test]
fn empty_settings_inherit_everything() {
    let wit = TaskSettings::new().to_wit();
    assert_eq!(wit.queue, None);
    assert_eq!(wit.retries, None);
    assert_eq!(wit.retry_delay_ms, None);
    assert_eq!(wit.pool, None);
    assert!(wit.resources.is_none(), "no resources asked for");
}

#[test]
fn every_setting_reaches_the_wit_record() {
    let wit = TaskSettings::new()
        .queue("q")
        .retries(4)
        .retry_delay(Duration::from_secs(5))
        .retry_exponential_backoff(true)
        .max_retry_delay(Duration::from_secs(60))
        .execution_timeout(Duration::from_millis(1500))
        .pool("p")
        .priority_weight(-3)
        .memory_limit(64 << 20)
        .fuel_limit(5_000_000)
        .scratch_dir("/scratch")
        .read_only_dir("/data")
        .allow_egress("example.org:443")
        .connection("s3")
        .secret("token")
        .to_wit();
    assert_eq!(wit.queue.as_deref(), Some("q"));
    assert_eq!(wit.retries, Some(4));
    assert_eq!(wit.retry_delay_ms, Some(5_000));
    assert_eq!(wit.retry_exponential_backoff, Some(true));
    assert_eq!(wit.max_retry_delay_ms, Some(60_000));
    assert_eq!(wit.execution_timeout_ms, Some(1_500));
    assert_eq!(wit.pool.as_deref(), Some("p"));
    assert_eq!(wit.priority_weight, Some(-3));
    let resources = wit.resources.expect("resources were asked for");
    assert_eq!(resources.memory_bytes, Some(64 << 20));
    assert_eq!(resources.fuel, Some(5_000_000));
    assert_eq!(resources.egress_allowlist, ["example.org:443"]);
    assert_eq!(resources.connections, ["s3"]);
    assert_eq!(resources.secrets, ["token"]);
    let dirs: Vec<_> = resources
        .directories
        .iter()
        .map(|d| (d.guest_path.as_str(), d.writable))
        .collect();
    assert_eq!(dirs, [("/scratch", true), ("/data", false)]);
}

#[test]
fn durations_are_whole_milliseconds_and_saturate() {
    assert_eq!(millis(Duration::from_micros(2_999)), 2);
    assert_eq!(millis(Duration::MAX), u64::MAX);
}

#[test]
fn a_lone_resource_setting_creates_the_resources_record() {
    let wit = TaskSettings::new().memory_limit(1).to_wit();
    let resources = wit.resources.expect("memory limit set");
    assert!(resources.directories.is_empty());
    assert!(resources.egress_allowlist.is_empty());
    assert!(resources.connections.is_empty() && resources.secrets.is_empty());
    assert_eq!(resources.fuel, None);
    let wit = TaskSettings::new().fuel_limit(7).to_wit();
    let resources = wit.resources.expect("fuel limit set");
    assert_eq!((resources.fuel, resources.memory_bytes), (Some(7), None));
}

#[test]
fn access_declarations_alone_create_the_resources_record_once_each() {
    let wit = TaskSettings::new()
        .connection("s3")
        .connection("s3")
        .secret("a")
        .secret("b")
        .secret("a")
        .allow_egress("https://x.org")
        .allow_egress("https://x.org")
        .to_wit();
    let resources = wit.resources.expect("access declared");
    assert_eq!(resources.memory_bytes, None);
    assert_eq!(resources.connections, ["s3"]);
    assert_eq!(resources.secrets, ["a", "b"]);
    assert_eq!(resources.egress_allowlist, ["https://x.org"]);
}
