//! Embed the schema's migrations: `migrations/<backend>/<version>_<description>.sql`, listed
//! into `$OUT_DIR/migrations.rs` as `include_str!`s (see `src/migrations.rs`), read by sqlx's
//! rules for a directory of migrations. Rebuilds when a migration changes.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = String::from("// Written by build.rs from migrations/.\n");
    for (constant, backend) in [("POSTGRES", "postgres"), ("SQLITE", "sqlite")] {
        let dir = root.join(backend);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut migrations = Vec::new();
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        {
            let path = entry
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
                .path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // As sqlx does, a file not named `<version>_<description>.sql` is no migration.
            let Some((version, description)) = name
                .split_once('_')
                .and_then(|(version, rest)| Some((version, rest.strip_suffix(".sql")?)))
                .filter(|_| path.is_file())
            else {
                continue;
            };
            if description.ends_with(".up") || description.ends_with(".down") {
                panic!("migration {name}: reversible migrations are not used here");
            }
            let version: i64 = version
                .parse()
                .unwrap_or_else(|e| panic!("migration {name}: version {version}: {e}"));
            migrations.push((version, description.replace('_', " "), path));
        }
        migrations.sort_by_key(|(version, _, _)| *version);
        let _ = writeln!(out, "pub(crate) const {constant}: &[Embedded] = &[");
        for (version, description, path) in migrations {
            let _ = writeln!(
                out,
                "    Embedded {{ version: {version}, description: {description:?}, sql: include_str!({:?}) }},",
                path.display().to_string()
            );
        }
        out.push_str("];\n");
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("migrations.rs"), out).expect("write migrations.rs");
}
