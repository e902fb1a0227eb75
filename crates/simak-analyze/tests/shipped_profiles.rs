//! The example profiles in config/profiles load and match what they are meant to.

use simak_analyze::profiles::Profiles;
use simak_core::Mention;
use std::path::Path;

fn m(text: &str) -> Mention {
    serde_json::from_value(serde_json::json!({
        "id": "x:1", "source": "x", "text": text,
        "published_at": "2026-11-20T08:00:00Z", "fetched_at": "2026-11-20T08:00:00Z"
    }))
    .unwrap()
}

#[test]
fn example_profiles_load_and_match() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/profiles");
    let p = Profiles::load_dir(&dir).unwrap();
    assert_eq!(p.len(), 4);
    assert_eq!(
        p.match_mention(&m(
            "Dinas PU Sukamaju, jalan berlubang di Jatisari kapan ditambal?"
        )),
        ["dpupr-sukamaju"]
    );
    assert_eq!(
        p.match_mention(&m("Pemkab Sukamaju lambat tangani banjir")),
        ["pemkab-sukamaju"]
    );
    assert_eq!(
        p.match_mention(&m("Diskominfo Sukamaju: pesan soal vaksin itu hoaks")),
        // A vaccine hoax is the health office's business too.
        ["dinkes-sukamaju", "diskominfo-sukamaju"]
    );
    assert_eq!(
        p.match_mention(&m(
            "wifi gratis di alun-alun sukamaju mati terus, pemkab kemana?"
        )),
        ["diskominfo-sukamaju", "pemkab-sukamaju"],
        "profiles come in file-name order"
    );
    assert!(p
        .match_mention(&m("Sukamaju FC menang 2-0, Pemkab Sukamaju beri bonus"))
        .is_empty());
    assert!(p
        .match_mention(&m("Sunset di pantai hari ini indah sekali"))
        .is_empty());
}

#[test]
fn a_bad_profile_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"x\"\nname = \"X\"\nalias = [\"typo\"]\n",
    )
    .unwrap();
    let err = Profiles::load_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("alias"), "{err}");
}
