//! Rebuild when a migration changes: `sqlx::migrate!` embeds them at compile time, and
//! stable Rust cannot track the files it reads.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
